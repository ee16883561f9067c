#pragma once
// Internal to the tls module: the client-hello callback every ServerContext installs, so an
// Engine can name the versions a refused client offered as Go does ("[302 301]").
//
// Called by OpenSSL on the thread driving the Engine.

#include <openssl/types.h>

namespace ringnats::tls::internal {

int OnClientHello(SSL* ssl, int* alert, void* arg);

}  // namespace ringnats::tls::internal

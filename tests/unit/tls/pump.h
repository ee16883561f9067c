#pragma once
// The certificates every TLS test shares (made once per test binary) and a pump that moves
// ciphertext between two engines in memory, as the ring would between two sockets.
//
// Test-only; one thread.

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "ringnats/tls/context.h"
#include "ringnats/tls/engine.h"
#include "test_pki.h"

namespace ringnats::tls::testing {

struct SharedCerts {
  Pki pki;
  Issued ca, other_ca;
  Issued server_rsa, server_ecdsa, server_ed25519, server_expired;
  Issued client, client_other_ca, client_expired;

  SharedCerts() {
    ca = pki.MakeCa("ca", KeyType::kEcdsaP256);
    other_ca = pki.MakeCa("other-ca", KeyType::kEcdsaP256);
    CertSpec server;
    server.common_name = "localhost";
    server.sans = {"DNS:localhost", "IP:127.0.0.1"};
    server.key = KeyType::kRsa2048;
    server_rsa = pki.Issue("server-rsa", server, "ca");
    server.key = KeyType::kEcdsaP256;
    server_ecdsa = pki.Issue("server-ecdsa", server, "ca");
    server.key = KeyType::kEd25519;
    server_ed25519 = pki.Issue("server-ed25519", server, "ca");
    server.key = KeyType::kEcdsaP256;
    server.not_before_seconds = -2 * 86400;
    server.not_after_seconds = -86400;
    server_expired = pki.Issue("server-expired", server, "ca");

    CertSpec user;
    user.common_name = "alice";
    user.organizational_unit = "Eng";
    user.country = "US";
    user.sans = {"email:alice@example.com", "DNS:alice.example.com", "URI:nats://alice",
                 "IP:10.0.0.1"};
    client = pki.Issue("client", user, "ca");
    client_other_ca = pki.Issue("client-other-ca", user, "other-ca");
    user.not_before_seconds = -2 * 86400;
    user.not_after_seconds = -86400;
    client_expired = pki.Issue("client-expired", user, "ca");
  }
};

inline SharedCerts& Certs() {
  static SharedCerts* certs = new SharedCerts();  // kept to exit: the files are used to the end
  return *certs;
}

inline ServerSettings DefaultServerSettings(const Issued& cert = Certs().server_ecdsa) {
  ServerSettings s;
  s.cert_file = cert.cert_file;
  s.key_file = cert.key_file;
  return s;
}

inline ClientSettings DefaultClientSettings() {
  ClientSettings s;
  s.ca_file = Certs().ca.cert_file;
  return s;
}

inline std::shared_ptr<const ServerContext> MustServer(const ServerSettings& settings) {
  auto ctx = ServerContext::Create(settings);
  EXPECT_TRUE(ctx.ok()) << ctx.status();
  return ctx.ok() ? *ctx : nullptr;
}

inline std::shared_ptr<const ClientContext> MustClient(const ClientSettings& settings) {
  auto ctx = ClientContext::Create(settings);
  EXPECT_TRUE(ctx.ok()) << ctx.status();
  return ctx.ok() ? *ctx : nullptr;
}

// A server and a client engine joined by an in-memory wire.
struct EnginePair {
  Engine server;
  Engine client;
  std::string server_got;  // plaintext the server read
  std::string client_got;
  // Ciphertext is fed in pieces of at most this many bytes.
  size_t chunk = SIZE_MAX;
  int server_signing_steps = 0;

  static EnginePair Make(std::shared_ptr<const ServerContext> server_ctx,
                         std::shared_ptr<const ClientContext> client_ctx,
                         std::string_view server_name = "localhost") {
    auto server = Engine::NewServer(std::move(server_ctx));
    auto client = Engine::NewClient(std::move(client_ctx), server_name);
    if (!server.ok() || !client.ok()) std::abort();
    return EnginePair{std::move(*server), std::move(*client)};
  }

  // Moves bytes both ways until nothing moves; returns how many rounds that took.
  int Pump() {
    int rounds = 0;
    for (; rounds < 1000; ++rounds) {
      bool moved = Step(client, server, &server_got);
      moved = Step(server, client, &client_got) || moved;
      if (!moved) break;
    }
    return rounds;
  }

  bool Handshake() {
    Pump();
    return server.established() && client.established();
  }

 private:
  void Drive(Engine& engine, std::string* got) {
    if (engine.handshaking()) {
      Engine::Step step = engine.Advance();
      if (&engine == &server && step.signed_with_private_key) ++server_signing_steps;
    }
    if (engine.established()) engine.ReadPlaintext(got);
  }

  bool Step(Engine& from, Engine& to, std::string* to_got) {
    Drive(from, to_got == &server_got ? &client_got : &server_got);
    std::string bytes;
    from.TakeCiphertext(&bytes);
    if (bytes.empty()) {
      Drive(to, to_got);
      return false;
    }
    for (size_t at = 0; at < bytes.size(); at += chunk) {
      to.Feed(std::string_view(bytes).substr(at, chunk));
      Drive(to, to_got);
    }
    return true;
  }
};

}  // namespace ringnats::tls::testing

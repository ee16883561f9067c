#include "certificates.h"

#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_format.h"

#ifndef RINGNATS_TLS_MAKE_CERTIFICATES
#error "RINGNATS_TLS_MAKE_CERTIFICATES must name tests/tls/make_certificates.sh"
#endif
#ifndef RINGNATS_OPENSSL_CLI
#define RINGNATS_OPENSSL_CLI "openssl"
#endif

namespace ringnats::tlstest {
namespace {

// Owns the directory for the life of the process.
struct Made {
  Certificates certs;
  ~Made() {
    if (!certs.dir.empty() && std::getenv("RINGNATS_KEEP_SERVER_DIRS") == nullptr) {
      std::error_code ignored;
      std::filesystem::remove_all(certs.dir, ignored);
    }
  }
};

KeyPair Pair(const std::string& dir, const std::string& name) {
  return {dir + "/" + name + ".pem", dir + "/" + name + "-key.pem"};
}

Certificates Make() {
  const char* tmp = std::getenv("TMPDIR");
  std::string pattern =
      std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/ringnats-tls-certs-XXXXXX";
  if (mkdtemp(pattern.data()) == nullptr) {
    ADD_FAILURE() << "mkdtemp " << pattern << " failed";
    return {};
  }
  const std::string& dir = pattern;
  const std::string log = dir + "/make.log";
  const std::string command =
      absl::StrFormat("bash '%s' '%s' '%s' >'%s' 2>&1", RINGNATS_TLS_MAKE_CERTIFICATES, dir,
                      RINGNATS_OPENSSL_CLI, log);
  const int status = std::system(command.c_str());
  if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::ifstream in(log);
    std::stringstream text;
    text << in.rdbuf();
    ADD_FAILURE() << command << " failed (status " << status << "):\n" << text.str();
    return {};
  }
  Certificates c;
  c.dir = dir;
  c.ca = dir + "/ca.pem";
  c.other_ca = dir + "/other-ca.pem";
  c.server_rsa = Pair(dir, "server-rsa");
  c.server_ecdsa = Pair(dir, "server-ecdsa");
  c.server_ed25519 = Pair(dir, "server-ed25519");
  c.server_next = Pair(dir, "server-next");
  c.server_wrong_host = Pair(dir, "server-wrong-host");
  c.server_expired = Pair(dir, "server-expired");
  c.client = Pair(dir, "client");
  c.client_dn = Pair(dir, "client-dn");
  c.client_email = Pair(dir, "client-email");
  c.client_dns = Pair(dir, "client-dns");
  c.client_utf8 = Pair(dir, "client-utf8");
  c.client_literal_plus = Pair(dir, "client-literal-plus");
  c.client_email_dn = Pair(dir, "client-email-dn");
  c.client_dc = Pair(dir, "client-dc");
  c.client_multi_rdn = Pair(dir, "client-multi-rdn");
  c.client_no_subject = Pair(dir, "client-no-subject");
  c.client_wrong_ca = Pair(dir, "client-wrong-ca");
  c.client_expired = Pair(dir, "client-expired");
  return c;
}

}  // namespace

const Certificates& TestCertificates() {
  static Made* made = [] {
    static Made m;
    m.certs = Make();
    return &m;
  }();
  if (made->certs.dir.empty()) {
    // The first call reported why; later tests fail on their own missing files.
    ADD_FAILURE() << "no test certificates";
  }
  return made->certs;
}

std::string TlsBlock(const KeyPair& server, const std::string& extra) {
  return absl::StrFormat("tls {\n  cert_file: \"%s\"\n  key_file: \"%s\"\n%s}\n", server.cert,
                         server.key, extra);
}

}  // namespace ringnats::tlstest

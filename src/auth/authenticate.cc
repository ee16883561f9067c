#include "ringnats/auth/authenticate.h"

#include "ringnats/auth/route_certificate.h"
#include "ringnats/auth/secrets.h"

namespace ringnats::auth {
namespace {

Verdict CheckSecret(const User* user, std::string_view stored, std::string_view presented) {
  Verdict verdict;
  if (IsBcryptHash(stored)) {
    verdict.kind = Verdict::Kind::kNeedsHash;
    verdict.stored_hash = stored;
    verdict.secret = presented;
  } else {
    verdict.kind =
        SecretsEqual(stored, presented) ? Verdict::Kind::kAccept : Verdict::Kind::kReject;
  }
  if (verdict.kind != Verdict::Kind::kReject) verdict.user = user;
  return verdict;
}

}  // namespace

const User* NoAuthUser(const AuthConfig& config) {
  if (config.mode != AuthConfig::Mode::kUsers || config.no_auth_user.empty()) return nullptr;
  auto it = config.users.find(config.no_auth_user);
  return it == config.users.end() ? nullptr : &it->second;
}

Verdict Authenticate(const AuthConfig& config, const Credentials& presented,
                     const CertificateIdentity* certificate) {
  switch (config.mode) {
    case AuthConfig::Mode::kNone: return Verdict{.kind = Verdict::Kind::kAccept};
    case AuthConfig::Mode::kUsers: {
      if (config.tls_map) {
        std::string_view matched_by;
        const User* user = certificate != nullptr
                               ? UserFromCertificate(config, *certificate, &matched_by)
                               : nullptr;
        return Verdict{.kind = user != nullptr ? Verdict::Kind::kAccept : Verdict::Kind::kReject,
                       .user = user,
                       .log_user = presented.user,
                       .log_user_named = true,  // nats-server: `User ""` without one
                       .certificate_match = matched_by};
      }
      const bool nothing_presented =
          presented.user.empty() && presented.pass.empty() && presented.token.empty();
      if (nothing_presented) {
        if (const User* fallback = NoAuthUser(config)) {
          // nats-server signs such a client in by comparing the user's stored password with
          // itself, which a bcrypt hash never passes: refused as `User ""`.
          if (IsBcryptHash(fallback->password)) {
            return Verdict{.kind = Verdict::Kind::kReject, .log_user_named = true};
          }
          return Verdict{.kind = Verdict::Kind::kAccept, .user = fallback};
        }
      }
      auto it = presented.user.empty() ? config.users.end() : config.users.find(presented.user);
      if (it == config.users.end()) {
        return Verdict{
            .kind = Verdict::Kind::kReject, .log_user = presented.user, .log_user_named = true};
      }
      Verdict verdict = CheckSecret(&it->second, it->second.password, presented.pass);
      verdict.log_user = presented.user;
      verdict.log_user_named = true;
      return verdict;
    }
    case AuthConfig::Mode::kToken: return CheckSecret(nullptr, config.token, presented.token);
    case AuthConfig::Mode::kRouteCertificate: {
      std::string_view matched_by;
      const bool accepted =
          RouteCertificateAccepted(config.route_certificate, certificate, &matched_by);
      return Verdict{.kind = accepted ? Verdict::Kind::kAccept : Verdict::Kind::kReject,
                     .user = accepted ? &config.single_user : nullptr,
                     .certificate_match = matched_by};
    }
    case AuthConfig::Mode::kSingleUser: {
      // The user name is not secret; the password is compared in constant time either way.
      Verdict verdict =
          CheckSecret(&config.single_user, config.single_user.password, presented.pass);
      if (presented.user != config.single_user.name) verdict = Verdict{};
      return verdict;
    }
  }
  return Verdict{};
}

}  // namespace ringnats::auth

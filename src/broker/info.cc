#include "ringnats/broker/info.h"

#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include "absl/strings/numbers.h"
#include "absl/strings/str_format.h"
#include "absl/strings/string_view.h"
#include "ringnats/util/check.h"

namespace ringnats::broker {

std::string NewServerId() {
  static constexpr char kBase32[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  unsigned char random[55];
  RN_CHECK(RAND_bytes(random, sizeof random) == 1);
  std::string id = "N";
  for (unsigned char byte : random) id.push_back(kBase32[byte % 32]);
  return id;
}

std::string BuildInfoPrefix(const config::ServerOptions& options, const InfoFacts& facts) {
  nlohmann::ordered_json info;
  info["server_id"] = facts.server_id;
  info["server_name"] =
      options.server_name.empty() ? std::string(facts.server_id) : options.server_name;
  info["version"] = RINGNATS_NATS_COMPAT_VERSION;
  info["proto"] = 1;
  // client_advertise ("host:port" or "host") replaces what clients are told.
  std::string host = options.host;
  int port = facts.port;
  if (!options.client_advertise.empty()) {
    const std::string& advertise = options.client_advertise;
    const size_t colon = advertise.rfind(':');
    int advertised_port = 0;
    if (colon != std::string::npos &&
        absl::SimpleAtoi(absl::string_view(advertise).substr(colon + 1), &advertised_port)) {
      host = advertise.substr(0, colon);
      port = advertised_port;
    } else {
      host = advertise;
    }
  }
  info["host"] = host;
  info["port"] = port;
  info["headers"] = !options.no_header_support;
  if (facts.auth_required) info["auth_required"] = true;
  if (facts.tls_required) info["tls_required"] = true;
  if (facts.tls_verify) info["tls_verify"] = true;
  info["max_payload"] = options.max_payload;
  info["ringnats_version"] = RINGNATS_VERSION;
  std::string text = "INFO " + info.dump();
  text.back() = ',';  // replace the closing brace; client fields follow
  return text;
}

void AppendInfoClientFields(std::string* info, uint64_t client_id, std::string_view client_ip,
                            bool lame_duck, std::string_view cluster_fields) {
  absl::StrAppendFormat(info, "\"client_id\":%d,\"client_ip\":\"%s\"%s%s} \r\n", client_id,
                        client_ip, cluster_fields, lame_duck ? ",\"ldm\":true" : "");
}

}  // namespace ringnats::broker

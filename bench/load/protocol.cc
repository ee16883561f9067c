#include "protocol.h"

#include <nlohmann/json.hpp>

namespace ringnats::load {

void AppendPubHeader(std::string& out, std::string_view subject, std::string_view reply,
                     size_t size) {
  char digits[20];
  char* end = WriteDecimal(digits, size);
  out.append("PUB ");
  out.append(subject);
  out.push_back(' ');
  if (!reply.empty()) {
    out.append(reply);
    out.push_back(' ');
  }
  out.append(digits, end);
  out.append("\r\n");
}

void AppendPub(std::string& out, std::string_view subject, std::string_view reply,
               std::string_view payload) {
  AppendPubHeader(out, subject, reply, payload.size());
  out.append(payload);
  out.append("\r\n");
}

void AppendSub(std::string& out, std::string_view subject, std::string_view queue,
               std::string_view sid) {
  out.append("SUB ");
  out.append(subject);
  out.push_back(' ');
  if (!queue.empty()) {
    out.append(queue);
    out.push_back(' ');
  }
  out.append(sid);
  out.append("\r\n");
}

std::string ConnectFrame(const Credentials& credentials, std::string_view name) {
  // Key order does not matter to a server; nlohmann escapes the strings for us.
  nlohmann::ordered_json j;
  j["verbose"] = false;
  j["pedantic"] = false;
  j["tls_required"] = false;
  j["name"] = std::string(name);
  j["lang"] = "ringnats-bench";
  j["version"] = "0.1.0";
  j["protocol"] = 1;
  if (!credentials.user.empty()) j["user"] = credentials.user;
  if (!credentials.pass.empty()) j["pass"] = credentials.pass;
  if (!credentials.token.empty()) j["auth_token"] = credentials.token;
  return "CONNECT " + j.dump() + "\r\n";
}

}  // namespace ringnats::load

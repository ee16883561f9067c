#include "config_path.h"

#include <vector>

namespace ringnats::config::internal {

std::string CleanPath(std::string_view path) {
  if (path.empty()) {
    return ".";
  }
  const bool rooted = path.front() == '/';
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string_view::npos) {
      end = path.size();
    }
    const std::string_view part = path.substr(start, end - start);
    if (part.empty() || part == ".") {
      // nothing
    } else if (part == "..") {
      if (!parts.empty() && parts.back() != "..") {
        parts.pop_back();
      } else if (!rooted) {
        parts.push_back(part);
      }  // "/.." is "/"
    } else {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string out;
  out.reserve(path.size() + 1);
  if (rooted) {
    out.push_back('/');
  }
  for (size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) {
      out.push_back('/');
    }
    out.append(parts[i].data(), parts[i].size());
  }
  if (out.empty()) {
    out.push_back('.');
  }
  return out;
}

std::string JoinPath(std::string_view dir, std::string_view name) {
  if (dir.empty() && name.empty()) {
    return "";
  }
  if (dir.empty()) {
    return CleanPath(name);
  }
  if (name.empty()) {
    return CleanPath(dir);
  }
  std::string joined;
  joined.reserve(dir.size() + 1 + name.size());
  joined.append(dir.data(), dir.size());
  joined.push_back('/');
  joined.append(name.data(), name.size());
  return CleanPath(joined);
}

std::string DirName(std::string_view path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string_view::npos) {
    return ".";
  }
  return CleanPath(path.substr(0, slash + 1));
}

}  // namespace ringnats::config::internal

#include "firebreak/engine/evidence.h"

#include <fstream>
#include <sstream>
#include <system_error>

#include <fmt/format.h>

#include "firebreak/base/crypto.h"
#include "firebreak/base/encoding.h"
#include "firebreak/base/error.h"
#include "firebreak/engine/aws_api.h"

namespace firebreak::engine {
namespace {

constexpr size_t kMaxNameLength = 128;
// Beyond this many differing captures under one name something is looping.
constexpr int kMaxVersions = 1000;

std::string text_or_empty(const Json& value, const char* key) {
  auto it = value.find(key);
  return it != value.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// "metadata.json" -> "metadata.2.json"; "notes" -> "notes.2".
std::string numbered(std::string_view name, int n) {
  auto dot = name.rfind('.');
  if (dot == std::string_view::npos || dot == 0) return fmt::format("{}.{}", name, n);
  return fmt::format("{}.{}{}", name.substr(0, dot), n, name.substr(dot));
}

void write_atomically(const std::filesystem::path& path, std::string_view content) {
  auto temporary = path;
  temporary += fmt::format(".partial-{}", to_hex(random_bytes(4)));
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    out.flush();
    if (!out) throw Error(fmt::format("could not write evidence {}", temporary.string()));
  }
  std::filesystem::permissions(temporary, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::rename(temporary, path);
}

}  // namespace

Json EvidenceRecord::to_json() const {
  Json out{{"name", name}, {"step", step},         {"sha256", sha256},
           {"size", size}, {"media_type", media_type}, {"path", path}};
  if (!s3_uri.empty()) out["s3_uri"] = s3_uri;
  if (!s3_version_id.empty()) out["s3_version_id"] = s3_version_id;
  if (!upload_error.empty()) out["upload_error"] = upload_error;
  return out;
}

EvidenceRecord EvidenceRecord::from_json(const Json& value) {
  if (!value.is_object()) throw InputError("evidence record is not an object");
  EvidenceRecord record;
  record.name = text_or_empty(value, "name");
  record.step = text_or_empty(value, "step");
  record.sha256 = text_or_empty(value, "sha256");
  record.size = value.value("size", std::uint64_t{0});
  record.media_type = text_or_empty(value, "media_type");
  record.path = text_or_empty(value, "path");
  record.s3_uri = text_or_empty(value, "s3_uri");
  record.s3_version_id = text_or_empty(value, "s3_version_id");
  record.upload_error = text_or_empty(value, "upload_error");
  return record;
}

S3Location S3Location::parse(std::string_view uri) {
  constexpr std::string_view scheme = "s3://";
  if (!uri.starts_with(scheme)) {
    throw InputError(fmt::format("evidence location \"{}\" is not of the form s3://bucket/prefix", uri));
  }
  std::string_view rest = uri.substr(scheme.size());
  auto slash = rest.find('/');
  S3Location location;
  location.bucket = std::string(rest.substr(0, slash));
  if (slash != std::string_view::npos) location.prefix = std::string(rest.substr(slash + 1));
  while (!location.prefix.empty() && location.prefix.back() == '/') location.prefix.pop_back();
  // S3 bucket naming rules: 3-63 of lower-case letters, digits, '.', '-'.
  bool bucket_ok = location.bucket.size() >= 3 && location.bucket.size() <= 63;
  for (char c : location.bucket) {
    bucket_ok = bucket_ok && ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-');
  }
  if (!bucket_ok) throw InputError(fmt::format("\"{}\" is not a valid S3 bucket name", location.bucket));
  return location;
}

std::string S3Location::key_for(std::string_view relative) const {
  return prefix.empty() ? std::string(relative) : fmt::format("{}/{}", prefix, relative);
}

std::string S3Location::uri() const {
  return prefix.empty() ? fmt::format("s3://{}", bucket) : fmt::format("s3://{}/{}", bucket, prefix);
}

void validate_artifact_name(std::string_view name) {
  bool ok = !name.empty() && name.size() <= kMaxNameLength && name.front() != '.';
  for (char c : name) {
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                c == '_' || c == '-');
  }
  if (!ok) {
    throw InputError(fmt::format("\"{}\" is not a valid evidence or step name (letters, digits, '.', '_', "
                                 "'-', at most {}, not starting with '.')", name, kMaxNameLength));
  }
}

EvidenceStore::EvidenceStore(std::filesystem::path root, std::optional<S3Location> upload, AwsApi* api)
    : root_(std::move(root)), upload_(std::move(upload)), api_(api) {
  if (upload_ && !api_) throw std::logic_error("an evidence bucket needs an AWS client");
}

EvidenceRecord EvidenceStore::save_local(std::string_view case_id, std::string_view step,
                                         std::string_view name, std::string_view content,
                                         std::string_view media_type) const {
  validate_artifact_name(case_id);
  validate_artifact_name(step);
  validate_artifact_name(name);
  auto folder = root_ / std::string(case_id) / std::string(step);
  std::filesystem::create_directories(folder);
  std::filesystem::permissions(root_, std::filesystem::perms::owner_all);

  EvidenceRecord record;
  record.step = std::string(step);
  record.sha256 = sha256_hex(content);
  record.size = content.size();
  record.media_type = std::string(media_type);
  for (int n = 1; n <= kMaxVersions; ++n) {
    std::string candidate = n == 1 ? std::string(name) : numbered(name, n);
    auto path = folder / candidate;
    if (std::filesystem::exists(path)) {
      // Saved before (e.g. by a run that crashed before recording it): the same bytes are the
      // same artifact; other bytes must not replace it.
      if (sha256_hex(read_file(path)) != record.sha256) continue;
    } else {
      write_atomically(path, content);
    }
    record.name = candidate;
    record.path = path.string();
    return record;
  }
  throw Error(fmt::format("more than {} different captures named {} in step {}", kMaxVersions, name, step));
}

void EvidenceStore::upload(std::string_view case_id, EvidenceRecord& record, std::string_view content) const {
  if (!upload_) return;
  std::string key = upload_->key_for(fmt::format("{}/{}/{}", case_id, record.step, record.name));
  std::string checksum = base64_encode(sha256(content));
  Json input{{"Bucket", upload_->bucket},
             {"Key", key},
             {"Body", std::string(content)},
             {"ContentType", record.media_type},
             {"ChecksumAlgorithm", "SHA256"},
             {"ChecksumSHA256", checksum},
             {"Metadata", {{"firebreak-case", std::string(case_id)}, {"firebreak-sha256", record.sha256}}}};
  Json out = api_->call("s3", api_->default_region(), "PutObject", input);
  std::string echoed = text_or_empty(out, "ChecksumSHA256");
  if (!echoed.empty() && echoed != checksum) {
    throw Error(fmt::format("S3 stored s3://{}/{} with SHA-256 {} but firebreak sent {}", upload_->bucket, key,
                            echoed, checksum));
  }
  record.s3_uri = fmt::format("s3://{}/{}", upload_->bucket, key);
  record.s3_version_id = text_or_empty(out, "VersionId");
}

std::vector<std::string> check_local_evidence(const std::vector<EvidenceRecord>& records) {
  std::vector<std::string> problems;
  for (const auto& record : records) {
    std::error_code ec;
    if (!std::filesystem::exists(record.path, ec)) {
      problems.push_back(fmt::format("evidence {}/{}: local copy {} is missing", record.step, record.name,
                                     record.path));
      continue;
    }
    std::string actual = sha256_hex(read_file(record.path));
    if (actual != record.sha256) {
      problems.push_back(fmt::format("evidence {}/{}: local copy {} hashes to {}, recorded {}", record.step,
                                     record.name, record.path, actual, record.sha256));
    }
  }
  return problems;
}

}  // namespace firebreak::engine

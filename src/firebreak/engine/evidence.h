#pragma once
// Evidence artifacts: each saved once under FIREBREAK_HOME/cases/CASE/STEP/NAME with its
// SHA-256, never overwritten, and optionally uploaded to an S3 evidence bucket with an S3
// SHA-256 checksum (so S3 itself rejects a corrupted upload) and its version id recorded.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "firebreak/base/json.h"

namespace firebreak::engine {

class AwsApi;

struct EvidenceRecord {
  std::string name;  // as saved: "metadata.json", or "metadata.2.json" when captured again with other content
  std::string step;
  std::string sha256;  // hex
  std::uint64_t size = 0;
  std::string media_type;
  std::string path;           // the local copy
  std::string s3_uri;         // empty when not uploaded
  std::string s3_version_id;  // empty when the bucket is not versioned
  std::string upload_error;   // set when the upload failed (the local copy still stands)

  Json to_json() const;
  static EvidenceRecord from_json(const Json& value);
};

struct S3Location {
  std::string bucket;
  std::string prefix;  // no leading or trailing '/'; may be empty

  // "s3://bucket/prefix". Throws InputError for anything else.
  static S3Location parse(std::string_view uri);
  std::string key_for(std::string_view relative) const;
  std::string uri() const;
};

// Evidence and step names become path components: letters, digits, '.', '_', '-', not
// starting with '.'. Throws InputError.
void validate_artifact_name(std::string_view name);

class EvidenceStore {
 public:
  // root: where local copies go (FIREBREAK_HOME/cases). upload and api: the evidence bucket.
  EvidenceStore(std::filesystem::path root, std::optional<S3Location> upload = std::nullopt,
                AwsApi* api = nullptr);

  // Writes the local copy (atomically, owner-only). Content equal to an artifact of the same
  // name saved before returns that artifact; different content gets the next free name.
  EvidenceRecord save_local(std::string_view case_id, std::string_view step, std::string_view name,
                            std::string_view content, std::string_view media_type) const;
  // Uploads a saved artifact when an evidence bucket is configured, filling s3_uri and
  // s3_version_id. Throws AwsError / Error when the upload fails.
  void upload(std::string_view case_id, EvidenceRecord& record, std::string_view content) const;
  bool uploads() const { return upload_.has_value(); }

 private:
  std::filesystem::path root_;
  std::optional<S3Location> upload_;
  AwsApi* api_;
};

// Each local copy that is missing or no longer matches its SHA-256, as one line per problem.
std::vector<std::string> check_local_evidence(const std::vector<EvidenceRecord>& records);

}  // namespace firebreak::engine

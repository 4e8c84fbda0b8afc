#pragma once
// Sources that read through the AWS client: a trail's S3 bucket and CloudTrail LookupEvents.
#include <memory>
#include <string>

#include "firebreak/aws/client.h"
#include "firebreak/cloudtrail/filter.h"
#include "firebreak/cloudtrail/source.h"

namespace firebreak::cloudtrail {

// s3://bucket/prefix: listed in parallel folder by folder (ListObjectsV2 with a delimiter),
// skipping the folders of CloudTrail's layout outside the scope, and fetched with GetObject.
std::unique_ptr<Source> make_s3_source(const aws::Session& session, const std::string& url);

// The last 90 days of management events through LookupEvents, one object per day, at most
// two calls a second (its limit). When the filter names one access key, user, event name or
// event source, CloudTrail is asked for only those; the hunt applies the rest.
std::unique_ptr<Source> make_lookup_events_source(const aws::Session& session, std::string region,
                                                  const FilterOptions& filter);

}  // namespace firebreak::cloudtrail

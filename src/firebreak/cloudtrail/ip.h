#pragma once
// IPv4 and IPv6 addresses and networks, for --source-ip. sourceIPAddress also holds service
// names ("ec2.amazonaws.com", "AWS Internal"), which are not addresses and match no network.
#include <array>
#include <cstdint>
#include <optional>
#include <string_view>

namespace firebreak::cloudtrail {

struct Address {
  std::array<uint8_t, 16> bytes{};  // IPv4 uses the first 4
  bool v6 = false;
};

std::optional<Address> parse_address(std::string_view text);

class Network {
 public:
  // "192.0.2.7", "192.0.2.0/24", "2001:db8::/32". nullopt when not one of these.
  static std::optional<Network> parse(std::string_view text);
  bool contains(std::string_view address_text) const;
  const Address& base() const { return base_; }
  int prefix() const { return prefix_; }

 private:
  Address base_;
  int prefix_ = 0;
};

}  // namespace firebreak::cloudtrail

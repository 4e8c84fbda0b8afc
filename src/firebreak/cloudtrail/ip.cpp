#include "firebreak/cloudtrail/ip.h"

#include <arpa/inet.h>

#include <cstring>
#include <string>

namespace firebreak::cloudtrail {

std::optional<Address> parse_address(std::string_view text) {
  if (text.empty() || text.size() > 45) return std::nullopt;
  char buffer[46];
  std::memcpy(buffer, text.data(), text.size());
  buffer[text.size()] = '\0';
  Address address;
  if (inet_pton(AF_INET, buffer, address.bytes.data()) == 1) return address;
  address.v6 = true;
  if (inet_pton(AF_INET6, buffer, address.bytes.data()) == 1) return address;
  return std::nullopt;
}

std::optional<Network> Network::parse(std::string_view text) {
  size_t slash = text.find('/');
  std::optional<Address> base = parse_address(text.substr(0, slash));
  if (!base) return std::nullopt;
  Network network;
  network.base_ = *base;
  int bits = base->v6 ? 128 : 32;
  network.prefix_ = bits;
  if (slash != std::string_view::npos) {
    std::string_view prefix = text.substr(slash + 1);
    if (prefix.empty() || prefix.size() > 3 || prefix.find_first_not_of("0123456789") != std::string_view::npos)
      return std::nullopt;
    network.prefix_ = std::stoi(std::string(prefix));
    if (network.prefix_ > bits) return std::nullopt;
  }
  return network;
}

bool Network::contains(std::string_view address_text) const {
  // Cheap rejection before inet_pton: addresses start with a hex digit or ':'.
  if (address_text.empty() || address_text.size() > 45) return false;
  std::optional<Address> address = parse_address(address_text);
  if (!address || address->v6 != base_.v6) return false;
  int full = prefix_ / 8, rest = prefix_ % 8;
  if (std::memcmp(address->bytes.data(), base_.bytes.data(), full) != 0) return false;
  if (rest == 0) return true;
  uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
  return (address->bytes[full] & mask) == (base_.bytes[full] & mask);
}

}  // namespace firebreak::cloudtrail

#include <cstdio>

int main() {
  std::puts("firebreak");
  return 0;
}

// Page-move decisions (see rebalance.h for the rules). Pure: no locks, no clock, no allocation.
#include "core/memory/rebalance.h"

#include <algorithm>

namespace kmd::memory {

int ChooseDonorClass(std::span<const ClassSnapshot> classes, int receiver, bool starved,
                     int excluded_class, const RebalanceRules& rules) {
  const int64_t own_age = (receiver >= 0 && receiver < static_cast<int>(classes.size()))
                              ? classes[receiver].tail_age
                              : -1;
  int best = -1;
  // Rank: empty classes first, then older tails, then more pages.
  auto better = [&](int a, int b) {
    const ClassSnapshot& x = classes[a];
    const ClassSnapshot& y = classes[b];
    if ((x.items == 0) != (y.items == 0)) return x.items == 0;
    if (x.tail_age != y.tail_age) return x.tail_age > y.tail_age;
    return x.pages > y.pages;
  };
  for (int c = 0; c < static_cast<int>(classes.size()); ++c) {
    const ClassSnapshot& d = classes[c];
    if (c == receiver || c == excluded_class || d.pages == 0) continue;
    if (d.pages == 1 && d.items != 0) continue;
    if (!starved) {
      // Pressure move: the donor must hold markedly older data than the receiver would evict.
      if (d.items != 0) {
        if (d.tail_age < 0 || own_age < 0) continue;
        const int64_t need = std::max<int64_t>(own_age + rules.min_age_gap,
                                               static_cast<int64_t>(own_age * rules.age_ratio));
        if (d.tail_age < need) continue;
      }
    }
    if (best < 0 || better(c, best)) best = c;
  }
  return best;
}

int64_t ChooseVictimPage(std::span<const PageSnapshot> pages, std::span<const uint32_t> skip) {
  int64_t best = -1;
  const PageSnapshot* bp = nullptr;
  for (const PageSnapshot& p : pages) {
    if (p.draining || std::find(skip.begin(), skip.end(), p.page) != skip.end()) continue;
    if (bp == nullptr || (bp->carving && !p.carving) ||
        (bp->carving == p.carving && p.used < bp->used)) {
      bp = &p;
      best = p.page;
    }
  }
  return best;
}

}  // namespace kmd::memory

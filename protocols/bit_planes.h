// protocols/bit_planes.h — elements packed 64 to a word by bit position, and the carry-out tree
// that comparisons run on them (internal to protocols/).
//
// A plane-stacked boolean Share holds `count` planes of W = ceil(n / 64) words, plane after
// plane: word w of plane k holds bit k of elements 64 w .. 64 w + 63 (element 64 w + e in bit e;
// the padding of the last word is zero in every share). One AND on a plane word is 64 AND gates,
// so a circuit costs one bit per gate and element on the wire instead of a word.
#pragma once

#include <cstddef>
#include <functional>
#include <utility>
#include <vector>

#include "protocols/protocol.h"

namespace kvsim::protocols {

inline std::size_t plane_words(std::size_t n) { return (n + 63) / 64; }

// The low `bits` planes of n values: bits x plane_words(n) words (64 x 64 bit transposes).
std::vector<Ring> to_planes(const std::vector<Ring>& values, int bits);
// Splits the top plane (63) off a share of 64 planes: returns it and leaves `planes` holding
// planes 0..62 in place (a prefix of its words), without copying them.
Share take_top_plane(Share& planes, std::size_t W);
// Element j's bit of one plane (W words at `plane`), as 0 or 1, for j < n.
std::vector<Ring> plane_bits(const Ring* plane, std::size_t n);
// The listed planes of a plane-stacked share, stacked in that order (shape: their words).
Share gather_planes(const Share& s, const std::vector<int>& planes, std::size_t W);

// The carry-out tree over `leaves` bit positions: each level pairs adjacent nodes (lo, hi) as
// G = G_hi ^ P_hi & G_lo, P = P_hi & P_lo, an odd top node rising unchanged. The lowest node's
// P is never read, so its AND is skipped. pairs per level, lowest level first.
std::vector<int> carry_tree_pairs(int leaves);
// Planes ANDed by the tree: the sum over levels of 2 pairs - 1.
int carry_tree_and_planes(int leaves);

// (a & b, a' & c) for plane-stacked a, b (`pairs` planes) and c (pairs - 1 planes), where a' is
// a without its first plane: one round of a family's ANDs.
using AndPairs = std::function<sim::Task<std::pair<Share, Share>>(const Share& a, const Share& b, const Share& c)>;
// The block generate of all leaves (1 plane): the carry out of their sum, from the leaves'
// generate and propagate planes; one and_pairs round per level.
sim::Task<Share> carry_out(Share g, Share p, int leaves, std::size_t W, AndPairs and_pairs);

}  // namespace kvsim::protocols

// models/kv/policies.h — the concrete policies behind make_policy() (internal to models/kv; users
// go through make_policy and the KvPolicy interface). One class per published method; the
// definitions, defaults and where implementations disagree are in docs/kv-policies.md.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "models/kv/policy.h"

namespace kvsim::models::kv {

using ResolvedParams = std::map<std::string, double>;  // every catalog parameter, defaults filled in

std::unique_ptr<KvPolicy> build_policy(const std::string& name, ResolvedParams& p);

std::unique_ptr<KvPolicy> make_full();
std::unique_ptr<KvPolicy> make_streaming(ResolvedParams& p);
std::unique_ptr<KvPolicy> make_h2o(ResolvedParams& p);
std::unique_ptr<KvPolicy> make_tova(ResolvedParams& p);
std::unique_ptr<KvPolicy> make_snapkv(ResolvedParams& p, bool pyramid);
std::unique_ptr<KvPolicy> make_quest(ResolvedParams& p);
std::unique_ptr<KvPolicy> make_infllm(ResolvedParams& p);
std::unique_ptr<KvPolicy> make_triforce(ResolvedParams& p);
std::unique_ptr<KvPolicy> make_mpcache(ResolvedParams& p);

// PyramidKV's per-layer number of past tokens kept (window excluded), integer arithmetic as in
// KVCache-Factory; prompt_length < capacity means no compression (returns prompt_length - window).
int pyramid_capacity(int layer, int n_layers, int prompt_length, int capacity, int window, int beta);

// Helpers shared by the policy files.
void fill_group(Selection& out, int kv_head, int group, const std::vector<std::int32_t>& positions);
// Column sums, over all causal rows, of each query head's prefill attention, added per KV head;
// counts the recomputation in `work`. local_window > 0 restricts row i's contribution to keys
// j with i - j < local_window and j >= first_key (InfLLM's local scores).
void accumulate_prefill_attention(const LayerPrefill& layer, int group, std::vector<std::vector<float>>& per_kv_head,
                                  PolicyWork& work, int local_window = 0, int first_key = 0);
std::int64_t causal_pairs(std::int64_t length);  // length * (length + 1) / 2

}  // namespace kvsim::models::kv

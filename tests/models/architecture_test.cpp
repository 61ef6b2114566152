// tests/models/architecture_test.cpp — the zoo against hand-computed sizes.
#include <gtest/gtest.h>

#include "models/architecture.h"
#include "scenarios/schema.h"

namespace kvsim::models {
namespace {

const Zoo& zoo() {
  static const Zoo z = Zoo::load(Zoo::default_dir());
  return z;
}

TEST(Zoo, HasEveryModelTheIssueNames) {
  for (const char* m : {"gpt2", "llama2-7b", "yarn-llama2-7b-128k", "yarn-llama2-13b-128k", "lwm-text-chat-128k",
                        "lwm-text-256k", "lwm-text-512k", "llama-68m", "longchat-7b-v1.5-32k", "llama-3.1-8b",
                        "qwen2.5-14b", "qwq-32b", "phi-4"})
    EXPECT_NO_THROW(zoo().get(m)) << m;
  EXPECT_THROW(zoo().get("llama2-7bb"), scenarios::ScenarioError);
}

TEST(Zoo, KvBytesPerToken) {
  EXPECT_EQ(zoo().get("llama2-7b").kv_bytes_per_token(), 512 * 1024);            // 2*32*32*128*2
  EXPECT_EQ(zoo().get("llama-68m").kv_bytes_per_token(), 6 * 1024);              // 2*2*12*64*2
  EXPECT_EQ(zoo().get("yarn-llama2-13b-128k").kv_bytes_per_token(), 800 * 1024); // 2*40*40*128*2
  EXPECT_EQ(zoo().get("qwen2.5-14b").kv_bytes_per_token(), 192 * 1024);          // 2*48*8*128*2
  EXPECT_EQ(zoo().get("qwq-32b").kv_bytes_per_token(), 256 * 1024);              // 2*64*8*128*2
  EXPECT_EQ(zoo().get("phi-4").kv_bytes_per_token(), 200 * 1024);                // 2*40*10*128*2
}

TEST(Zoo, ParameterCountsMatchThePublishedOnes) {
  EXPECT_EQ(zoo().get("gpt2").params(), 124'439'808);  // GPT-2 small, exact
  // Llama-2-7B: 2*32000*4096 + 32*(4*4096^2 + 3*4096*11008 + 2*4096) + 4096 = 6,738,415,616.
  EXPECT_EQ(zoo().get("llama2-7b").params(), 6'738'415'616);
  // JackFram llama-68m: 2*32000*768 + 2*(4*768^2 + 3*768*3072 + 2*768) + 768 = 68,030,208.
  EXPECT_EQ(zoo().get("llama-68m").params(), 68'030'208);
  // Qwen2.5-14B: 14.77B total, 13.21B in blocks (datarus brief §3).
  const Architecture& q = zoo().get("qwen2.5-14b");
  EXPECT_NEAR(q.params() / 1e9, 14.77, 0.005);
  EXPECT_NEAR(q.layers * q.layer_params() / 1e9, 13.21, 0.005);
  EXPECT_NEAR(zoo().get("qwq-32b").params() / 1e9, 32.76, 0.005);
  EXPECT_NEAR(zoo().get("phi-4").params() / 1e9, 14.66, 0.005);
  EXPECT_NEAR(zoo().get("llama-3.1-8b").params() / 1e9, 8.03, 0.005);
  EXPECT_EQ(zoo().get("llama2-7b").weight_bytes(), 2 * 6'738'415'616);
}

TEST(Zoo, DecodeFlopsMatchTheBrief) {
  // datarus brief §3: ~29.0 / 37.8 / 57.5 GFLOP per token at context 1k / 10k / 30k for Qwen2.5-14B
  // (2 x (blocks + lm_head) + 4 L d ctx).
  const Architecture& q = zoo().get("qwen2.5-14b");
  EXPECT_NEAR(q.decode_flops(1, 1000) / 1e9, 29.0, 0.3);
  EXPECT_NEAR(q.decode_flops(1, 10000) / 1e9, 37.8, 0.3);
  EXPECT_NEAR(q.decode_flops(1, 30000) / 1e9, 57.5, 0.3);
}

TEST(Zoo, DecodeBytesAreWeightsPlusKv) {
  const Architecture& a = zoo().get("llama2-7b");
  const double bytes = a.decode_bytes(1, 1000);
  const double kv = 1001.0 * 512 * 1024;
  const double weights_read = 2.0 * (a.params() - 32000.0 * 4096) + 4096 * 2;  // embedding: one row
  EXPECT_DOUBLE_EQ(bytes, weights_read + kv);
}

TEST(Zoo, PrefillFlopsCountCausalPairs) {
  const Architecture& a = zoo().get("llama2-7b");
  // A decode step is a one-token chunk: it attends to the cache and itself.
  // 2 FLOPs per matmul weight: all parameters but the embedding and the 65 RMSNorm vectors.
  const double linear1 = 2.0 * (6'738'415'616 - 32000.0 * 4096 - 65.0 * 4096);
  EXPECT_DOUBLE_EQ(a.decode_flops(1, 999), linear1 + 4.0 * 1000 * 32 * 128 * 32);
  // Chunk of 128 after 1000: pairs = 128*1000 + 128*129/2.
  const double linear = a.prefill_flops(128, 0) - 4.0 * (128.0 * 129 / 2) * 32 * 128 * 32;
  EXPECT_DOUBLE_EQ(a.prefill_flops(128, 1000), linear + 4.0 * (128.0 * 1000 + 128.0 * 129 / 2) * 32 * 128 * 32);
  EXPECT_DOUBLE_EQ(a.prefill_bytes(128, 1000), a.decode_bytes(128, 1000));
}

}  // namespace
}  // namespace kvsim::models

// private_decode/layers.h — the model's shares at load and one decode step through every layer.
//
// Contract:
// - load_model(): party 0 inputs the weights (each matrix a FixedOperand prepared once, so semi2k
//   opens a masked weight once) and the prompt's K and V; in cost mode every share is a shape and
//   nothing is sent (loading is not part of what is measured). Sets the cache length.
// - decode_step(): the client's token through the embedding (one-hot times the table), every
//   layer (norm, QKV, RoPE for llama style, the new K/V appended, the selector's attended rows,
//   attention with MPCache's softmax, output projection, MLP with SiLU gating or GeLU,
//   residuals), the final norm and the LM head; the logits are revealed.
#pragma once

#include <vector>

#include "private_decode/context.h"
#include "private_decode/selector.h"

namespace kvsim::private_decode {

Task<void> load_model(Context& c);

struct StepOutput {
  std::vector<double> logits;     // execute mode
  std::vector<Ring> revealed;     // the logits as ring elements (empty at a dealer)
  int attended = 0;               // rows each head attended (the last layer's)
  int token = -1;                 // output "argmax", execute mode: the revealed token
};
Task<void> decode_step(Context& c, Selector& selector, Share token, StepOutput& out);

}  // namespace kvsim::private_decode

// models/deployment.cpp — a deployment from profile names.
#include "models/deployment.h"

namespace kvsim::models {

Deployment standard_deployment(const hardware::Catalog& catalog, const std::string& gpu, int gpus, KvPlacement kv,
                               int on_chip_layers) {
  Deployment d;
  d.gpu = catalog.gpu(gpu);
  d.tp = gpus;
  d.host = catalog.host("epyc-9754");
  d.host_link = catalog.link(d.gpu.host_link);
  d.peer_link = catalog.link(d.gpu.peer_link);
  d.kv = kv;
  d.on_chip_layers = on_chip_layers;
  d.stack = catalog.stack("pytorch");
  return d;
}

}  // namespace kvsim::models

// results/rows.cpp — the HDF5 compound types of the row layouts in rows.h.
#include "results/rows.h"

namespace kvsim::results::rows {

namespace {

class CompoundBuilder {
 public:
  CompoundBuilder(std::size_t size, const char* what)
      : what_(what), str_(h5::vlen_string_type()), type_(H5Tcreate(H5T_COMPOUND, size), H5Tclose, what) {}
  CompoundBuilder& text(const char* field, std::size_t offset) { return add(field, offset, str_); }
  CompoundBuilder& real(const char* field, std::size_t offset) { return add(field, offset, H5T_NATIVE_DOUBLE); }
  CompoundBuilder& count(const char* field, std::size_t offset) { return add(field, offset, H5T_NATIVE_UINT64); }
  h5::Handle done() { return std::move(type_); }

 private:
  CompoundBuilder& add(const char* field, std::size_t offset, hid_t member) {
    h5::check(H5Tinsert(type_, field, offset, member), std::string(what_) + ": field " + field);
    return *this;
  }
  const char* what_;
  h5::Handle str_;
  h5::Handle type_;
};

}  // namespace

h5::Handle compound_type(const MetricRow*) {
  return CompoundBuilder(sizeof(MetricRow), "metric row type")
      .text("name", HOFFSET(MetricRow, name))
      .real("value", HOFFSET(MetricRow, value))
      .text("unit", HOFFSET(MetricRow, unit))
      .done();
}

h5::Handle compound_type(const SweepValueRow*) {
  return CompoundBuilder(sizeof(SweepValueRow), "sweep value row type")
      .text("key", HOFFSET(SweepValueRow, key))
      .text("value", HOFFSET(SweepValueRow, value))
      .done();
}

h5::Handle compound_type(const TimelineRow*) {
  return CompoundBuilder(sizeof(TimelineRow), "timeline row type")
      .text("resource", HOFFSET(TimelineRow, resource))
      .count("spans", HOFFSET(TimelineRow, spans))
      .real("busy_s", HOFFSET(TimelineRow, busy_s))
      .count("bytes", HOFFSET(TimelineRow, bytes))
      .real("first_start_s", HOFFSET(TimelineRow, first_start_s))
      .real("last_end_s", HOFFSET(TimelineRow, last_end_s))
      .done();
}

h5::Handle compound_type(const ReproTableRow*) {
  return CompoundBuilder(sizeof(ReproTableRow), "reproduction table row type")
      .text("row", HOFFSET(ReproTableRow, row))
      .text("metric", HOFFSET(ReproTableRow, metric))
      .text("unit", HOFFSET(ReproTableRow, unit))
      .real("simulated", HOFFSET(ReproTableRow, simulated))
      .real("paper", HOFFSET(ReproTableRow, paper))
      .done();
}

}  // namespace kvsim::results::rows

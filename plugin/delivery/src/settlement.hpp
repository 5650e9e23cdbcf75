// Records with a verdict whose spool acknowledgement is still to be
// written: all those of one turn of the event loop are written together
// (one write, one fsync with "always"), and then each completes. No attempt
// starts meanwhile (the engine waits for them), so what a crash can repeat
// stays what was in flight: at most `concurrency` records. [I/O thread]
#pragma once

#include "job_pool.hpp"

#include <webhook/delivery/delivery_engine.hpp>
#include <webhook/delivery/spool.hpp>

#include <string>
#include <vector>

namespace webhook {

struct Settled {
  JobPtr job;
  Outcome outcome = Outcome::failed;
  int status = 0;
  std::string error;
};

class Settlement {
 public:
  bool empty() const { return settled_.empty(); }
  // True for the first of a batch: the caller schedules acknowledge().
  bool add(Settled settled) {
    seqs_.push_back(settled.job->spool_seq);
    settled_.push_back(std::move(settled));
    return settled_.size() == 1;
  }
  // Writes the batch's acknowledgements; returns its records, to complete
  // (valid until the next call; completing one may settle more).
  std::vector<Settled>& acknowledge(Spool& spool) {
    spool.acknowledge_many(seqs_.data(), seqs_.size());
    seqs_.clear();
    taken_.clear();
    taken_.swap(settled_);  // both keep their capacity
    return taken_;
  }

 private:
  std::vector<Settled> settled_, taken_;
  std::vector<std::uint64_t> seqs_;
};

}  // namespace webhook

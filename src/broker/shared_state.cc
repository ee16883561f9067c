#include "ringnats/broker/shared_state.h"

#include "ringnats/broker/info.h"
#include "ringnats/broker/worker.h"
#include "ringnats/ring/event_loop.h"

namespace ringnats::broker {
namespace {
// Batches in flight per worker pair; each holds one loop iteration's messages.
constexpr size_t kBatchQueueDepth = 256;
}  // namespace

WorkerMesh::WorkerMesh(size_t workers) : to_worker(workers), returned(workers), credit(workers) {
  for (size_t src = 0; src < workers; ++src) {
    for (size_t dst = 0; dst < workers; ++dst) {
      to_worker[src].push_back(std::make_unique<ring::SpscQueue<DeliveryBatch>>(kBatchQueueDepth));
      returned[src].push_back(std::make_unique<ring::SpscQueue<DeliveryBatch>>(kBatchQueueDepth));
      credit[src].push_back(std::make_unique<PairCredit>());
    }
  }
}

WorkerMesh::~WorkerMesh() {
  for (auto* queues : {&to_worker, &returned}) {
    for (auto& row : *queues) {
      for (auto& queue : row) {
        while (DeliveryBatch* batch = queue->TryPop()) delete batch;
      }
    }
  }
}

SharedState::SharedState(size_t workers)
    : server_id(NewServerId()), mesh(workers), loops(workers, nullptr), workers(workers, nullptr) {
  for (size_t i = 0; i < workers; ++i)
    worker_counters.push_back(std::make_unique<WorkerCounters>());
}

void MonitorCounters::RecordReload(absl::Status outcome) {
  absl::MutexLock lock(&reload_mu);
  ++reloads;
  last_reload = absl::Now();
  if (outcome.ok()) {
    last_reload_error.clear();
    config_load_time = *last_reload;
  } else {
    ++reload_failures;
    last_reload_error = std::string(outcome.message());
  }
}

void SharedState::PostToWorker(uint32_t index, absl::AnyInvocable<void(Worker&) &&> task,
                               ring::EventLoop* from) {
  Worker* worker = workers[index];
  loops[index]->Post([worker, task = std::move(task)]() mutable { std::move(task)(*worker); },
                     from);
}

}  // namespace ringnats::broker

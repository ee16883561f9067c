#pragma once
// A loopback TCP port that was free a moment ago, for tests that must name a port up front
// (as client test suites start their servers). Picked at random below the kernel's ephemeral
// range, so the connections and `-p -1` servers of tests running alongside cannot take it in
// between (a kernel-assigned port could be handed to another test's connect() first); only
// another such pick could. 0 when none was found.

namespace ringnats::harness {

int FreeLoopbackPort();

}  // namespace ringnats::harness

#pragma once
// A loopback TCP port the kernel handed out a moment ago and that is free again, for tests
// that must name a port up front (as client test suites start their servers). Another
// process could take it in between; nothing can prevent that. 0 when none was found.

namespace ringnats::harness {

int FreeLoopbackPort();

}  // namespace ringnats::harness

// The write(2) that the step's files go through: the spool's segments, dead
// letters and the delivery log. A seam for tests that make writes fail
// (ENOSPC, a short write) where no small file system can be mounted.
#pragma once

#include <sys/types.h>

#include <cstddef>

namespace webhook {

using WriteFunction = ssize_t (*)(int fd, const void* data, std::size_t size);

// `write` itself when `f` is null.
WriteFunction write_function_or_default(WriteFunction f);

// Writes all of `size` bytes (retrying on EINTR and short writes). False on
// failure, with errno set (EIO for a write that made no progress).
bool write_all(WriteFunction write, int fd, const char* data, std::size_t size);

}  // namespace webhook

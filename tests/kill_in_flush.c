/* kill_in_flush.c: a preloaded library for tests/trial_cli.sh that ends the process (exit status
 * 137, as SIGKILL) just before its KILL_AT_SUPERBLOCK-th write at offset 0 of a file. HDF5
 * writes the superblock, which holds the end of allocation (EOA), there: once when the file is
 * created and last in each flush, after the new metadata of the blocks since the flush before.
 * So the process dies inside a flush with the new chunk index on disk and the old EOA: the one
 * moment a kill leaves a trial file HDF5 will not read until h5clear --increment sets its EOA. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

static int superblock_writes;

static void before_write(int fd, off_t offset)
{
  const char *at = getenv("KILL_AT_SUPERBLOCK");
  if (fd > 2 && offset == 0 && at != NULL && ++superblock_writes == atoi(at)) {
    _exit(137);
  }
}

ssize_t pwrite(int fd, const void *buf, size_t n, off_t offset)
{
  ssize_t (*real)(int, const void *, size_t, off_t) =
      (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite");
  before_write(fd, offset);
  return real(fd, buf, n, offset);
}

ssize_t pwrite64(int fd, const void *buf, size_t n, off_t offset)
{
  ssize_t (*real)(int, const void *, size_t, off_t) =
      (ssize_t (*)(int, const void *, size_t, off_t))dlsym(RTLD_NEXT, "pwrite64");
  before_write(fd, offset);
  return real(fd, buf, n, offset);
}

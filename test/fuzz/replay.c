/* Runs a fuzz target's LLVMFuzzerTestOneInput over every file of a corpus
 * directory, so the corpus is replayed by the normal test run (c-ares
 * test/ares-test-fuzz.c). */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
replay_file(const char *path)
{
  FILE *f = fopen(path, "rb");
  uint8_t *buf = NULL;
  size_t len = 0, cap = 0, n;
  int rc = -1;

  if (f == NULL) {
    perror(path);
    return -1;
  }
  for (;;) {
    if (len == cap) {
      size_t ncap = cap ? cap * 2 : 4096;
      uint8_t *nbuf = realloc(buf, ncap);
      if (nbuf == NULL) {
        goto done;
      }
      buf = nbuf;
      cap = ncap;
    }
    n = fread(buf + len, 1, cap - len, f);
    if (n == 0) {
      break;
    }
    len += n;
  }
  if (ferror(f)) {
    perror(path);
    goto done;
  }
  LLVMFuzzerTestOneInput(buf, len);
  rc = 0;
done:
  free(buf);
  fclose(f);
  return rc;
}

int
main(int argc, char **argv)
{
  unsigned count = 0, failed = 0;

  for (int i = 1; i < argc; i++) {
    DIR *d = opendir(argv[i]);
    struct dirent *e;
    if (d == NULL) {
      if (replay_file(argv[i]) != 0) {
        failed++;
      }
      count++;
      continue;
    }
    while ((e = readdir(d)) != NULL) {
      char path[4096];
      if (e->d_name[0] == '.') {
        continue;
      }
      snprintf(path, sizeof(path), "%s/%s", argv[i], e->d_name);
      if (replay_file(path) != 0) {
        failed++;
      }
      count++;
    }
    closedir(d);
  }
  printf("replayed %u inputs, %u unreadable\n", count, failed);
  return (failed || count == 0) ? 1 : 0;
}

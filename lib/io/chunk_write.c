/* chunk_write.c: a block's rows stored as whole chunks, shuffled and deflated here (see
 * chunk_write.h). */
#include <stdlib.h>
#include <string.h>

#include <libdeflate.h>

#include "chunk_write.h"

struct cartp_chunk_writer {
  struct libdeflate_compressor *compressor;
  int level;              /* the compressor's */
  unsigned char *padded;  /* a last chunk's rows, then zeros up to the chunk's size */
  unsigned char *shuffled;
  unsigned char *packed;
  size_t capacity;        /* bytes of padded and shuffled */
  size_t packed_capacity; /* bytes of packed: libdeflate's bound for `capacity` bytes */
};

cartp_chunk_writer *cartp_chunk_writer_new(void)
{
  return calloc(1, sizeof(cartp_chunk_writer));
}

void cartp_chunk_writer_free(cartp_chunk_writer *writer)
{
  if (writer == NULL) {
    return;
  }
  if (writer->compressor != NULL) {
    libdeflate_free_compressor(writer->compressor);
  }
  free(writer->padded);
  free(writer->shuffled);
  free(writer->packed);
  free(writer);
}

/* A compressor of `level` and buffers for chunks of `bytes`: 0, or -1 when memory is short. */
static int reserve(cartp_chunk_writer *w, size_t bytes, int level)
{
  if (w->compressor == NULL || w->level != level) {
    if (w->compressor != NULL) {
      libdeflate_free_compressor(w->compressor);
    }
    w->compressor = libdeflate_alloc_compressor(level);
    w->level = level;
    w->packed_capacity = 0; /* the bound is the compressor's */
    if (w->compressor == NULL) {
      return -1;
    }
  }
  if (bytes > w->capacity) {
    unsigned char *padded = realloc(w->padded, bytes);
    w->padded = padded != NULL ? padded : w->padded;
    unsigned char *shuffled = padded != NULL ? realloc(w->shuffled, bytes) : NULL;
    w->shuffled = shuffled != NULL ? shuffled : w->shuffled;
    if (padded == NULL || shuffled == NULL) {
      return -1;
    }
    w->capacity = bytes;
  }
  const size_t bound = libdeflate_zlib_compress_bound(w->compressor, w->capacity);
  if (bound > w->packed_capacity) {
    unsigned char *packed = realloc(w->packed, bound);
    if (packed == NULL) {
      return -1;
    }
    w->packed = packed;
    w->packed_capacity = bound;
  }
  return 0;
}

/* HDF5's shuffle filter, as the format defines it: of n elements of `size` bytes, byte j of
 * element i goes to j n + i (all first bytes, then all second bytes, ...). */
static void shuffle(const unsigned char *in, unsigned char *out, size_t n, size_t size)
{
  for (size_t j = 0; j < size; j++) {
    unsigned char *plane = out + j * n;
    const unsigned char *byte = in + j;
    for (size_t i = 0; i < n; i++) {
      plane[i] = byte[i * size];
    }
  }
}

/* The deflate level when the pipeline of dcpl is exactly shuffle then deflate; -1 otherwise. */
static int deflate_level(hid_t dcpl)
{
  if (H5Pget_nfilters(dcpl) != 2) {
    return -1;
  }
  unsigned flags, config, values[8];
  size_t n_values = 8;
  if (H5Pget_filter2(dcpl, 0, &flags, &n_values, values, 0, NULL, &config) != H5Z_FILTER_SHUFFLE) {
    return -1;
  }
  n_values = 8;
  if (H5Pget_filter2(dcpl, 1, &flags, &n_values, values, 0, NULL, &config) != H5Z_FILTER_DEFLATE ||
      n_values < 1 || values[0] > 9) {
    return -1;
  }
  return (int)values[0];
}

static int write_chunks(cartp_chunk_writer *w, hid_t dataset, hid_t dcpl, hid_t type, hid_t space,
                        hid_t mem_type, size_t first, size_t count, const unsigned char *rows_in)
{
  const int rank = H5Sget_simple_extent_ndims(space);
  const htri_t same_type = H5Tequal(type, mem_type);
  if (rank < 0 || same_type < 0) {
    return -1;
  }
  hsize_t dims[2] = {0, 0}, chunk[2] = {0, 0};
  const int level = deflate_level(dcpl);
  if (rank < 1 || rank > 2 || !same_type || level < 0 || H5Pget_layout(dcpl) != H5D_CHUNKED ||
      H5Pget_chunk(dcpl, 2, chunk) != rank || H5Sget_simple_extent_dims(space, dims, NULL) != rank) {
    return 0;
  }
  const size_t rows = dims[0], chunk_rows = chunk[0];
  const size_t element = H5Tget_size(type), columns = rank == 2 ? dims[1] : 1;
  if (element == 0 || chunk_rows == 0 || (rank == 2 && chunk[1] != dims[1]) ||
      first % chunk_rows != 0 || count > rows || first > rows - count ||
      (count % chunk_rows != 0 && first + count != rows)) {
    return 0; /* not whole chunks: HDF5 merges them with what the file holds */
  }
  const size_t row_bytes = element * columns, chunk_bytes = chunk_rows * row_bytes;
  if (reserve(w, chunk_bytes, level) != 0) {
    return -1;
  }
  for (size_t done = 0; done < count; done += chunk_rows) {
    const size_t here = count - done < chunk_rows ? count - done : chunk_rows;
    const unsigned char *source = rows_in + done * row_bytes;
    if (here < chunk_rows) { /* the dataset's last chunk: stored whole, its rows past the end unread */
      memcpy(w->padded, source, here * row_bytes);
      memset(w->padded + here * row_bytes, 0, (chunk_rows - here) * row_bytes);
      source = w->padded;
    }
    shuffle(source, w->shuffled, chunk_bytes / element, element);
    const size_t packed = libdeflate_zlib_compress(w->compressor, w->shuffled, chunk_bytes,
                                                   w->packed, w->packed_capacity);
    const hsize_t offset[2] = {first + done, 0};
    /* filter mask 0: every filter of the pipeline was applied */
    if (packed == 0 || H5Dwrite_chunk(dataset, H5P_DEFAULT, 0, offset, packed, w->packed) < 0) {
      return -1;
    }
  }
  return 1;
}

int cartp_chunk_writer_write(cartp_chunk_writer *writer, hid_t dataset, hid_t mem_type,
                             size_t first, size_t count, const void *buf)
{
  if (writer == NULL || count == 0) {
    return 0;
  }
  hid_t dcpl = H5Dget_create_plist(dataset);
  hid_t type = H5Dget_type(dataset);
  hid_t space = H5Dget_space(dataset);
  int result = -1;
  if (dcpl >= 0 && type >= 0 && space >= 0) {
    result = write_chunks(writer, dataset, dcpl, type, space, mem_type, first, count, buf);
  }
  if ((space >= 0 && H5Sclose(space) < 0) | (type >= 0 && H5Tclose(type) < 0) |
      (dcpl >= 0 && H5Pclose(dcpl) < 0)) {
    result = -1;
  }
  return result;
}

/* chunk_write.h: a block's rows stored as whole chunks that libcart shuffles and deflates itself
 * (internal; chunk_write.c).
 *
 * HDF5's deflate filter compresses with zlib, in the one thread that writes: for the default trial
 * it took about as long as solving the patients on one core. libdeflate (Debian: libdeflate-dev)
 * writes the same zlib format two to three times faster, so the trial file's chunks are made here
 * and handed to HDF5 as stored (H5Dwrite_chunk, HDF5 >= 1.10.3). The datasets keep their filter
 * pipeline (shuffle, then deflate at the level layout.c chose), so any HDF5 reader (h5py, hdf5r,
 * h5dump) decompresses them as it would chunks HDF5 made: only who compresses changes.
 *
 * For serial files only: with MPI-IO, HDF5 writes filtered datasets collectively itself. */
#ifndef CART_IO_CHUNK_WRITE_H
#define CART_IO_CHUNK_WRITE_H

#include <stddef.h>

#include <hdf5.h>

typedef struct cartp_chunk_writer cartp_chunk_writer;

/* A writer with no compressor and no buffers yet (they come with the first chunk and grow to the
 * largest chunk written: memory flat in the number of patients). NULL when memory is short. */
cartp_chunk_writer *cartp_chunk_writer_new(void);
void cartp_chunk_writer_free(cartp_chunk_writer *writer);

/* Rows [first, first + count) of `dataset` (rank 1 or 2, chunked by whole rows) from buf, which
 * holds them contiguously as mem_type. Written here only when the rows are whole chunks (the last
 * may end at the dataset's last row), mem_type is the dataset's stored type and its pipeline is
 * exactly shuffle then deflate; returns 1 when written, 0 when the caller must write the rows
 * through HDF5 (H5Dwrite) instead, -1 when an HDF5 call or memory failed. */
int cartp_chunk_writer_write(cartp_chunk_writer *writer, hid_t dataset, hid_t mem_type,
                             size_t first, size_t count, const void *buf);

#endif

/* cart_h5_mpi.h: forced (-include) into every source file of cart-mpi, before anything else.
 *
 * cart-mpi compiles lib/io/hdf5.c a second time, against parallel HDF5 and with CART_H5_MPI
 * (MPI-IO file access, collective transfers, empty selections for ranks without rows), and
 * lib/util/error.c for that copy's internal error helpers (libcart.so does not export them). It
 * also links libcart.so, which holds the serial versions under the same names; a definition in
 * the program would interpose the library's (and the library's internal calls would reach it),
 * so the program's copies get names of their own here. Every call in cart-mpi's sources then
 * reaches the MPI copy. (Debian's two HDF5 builds version their symbols, HDF5_SERIAL_1.8.7 and
 * HDF5_MPI_1.8.7, so libcart.so keeps calling the serial libhdf5 and these copies the parallel
 * one, in one process.)
 */
#ifndef CART_H5_MPI_H
#define CART_H5_MPI_H

#ifndef CART_H5_MPI
#error "cart_h5_mpi.h is for cart-mpi's sources, compiled with -DCART_H5_MPI"
#endif

/* lib/io/hdf5.c (cart_hdf5.h) */
#define cart_h5_create cartmpi_h5_create
#define cart_h5_write_block cartmpi_h5_write_block
#define cart_h5_summarize cartmpi_h5_summarize
#define cart_h5_finish cartmpi_h5_finish
#define cart_h5_close cartmpi_h5_close
#define cart_h5_last_error cartmpi_h5_last_error

/* lib/util/error.c (cart_errno.h and the internal error.h) */
#define cart_strerror cartmpi_strerror
#define cart_status_name cartmpi_status_name
#define cart_error_clear cartmpi_error_clear
#define cartp_error cartmpi_error
#define cartp_error_copy cartmpi_error_copy
#define cartp_format_bounds cartmpi_format_bounds

#endif

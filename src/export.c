/* export.c: `cart export FILE.h5 --csv DIR [--force]`: a trial file (cart_hdf5.h) as CSV tables.
 *
 *   DIR/trajectories.csv  long: patient,arm,time,name,value,unit, one row a patient, trajectory
 *                         and output time (patients in order, names in the file's order, times)
 *   DIR/endpoints.csv     wide: patient,arm,status, then one column an endpoint (model order)
 *   DIR/parameters.csv    wide: patient,arm, then one column a parameter
 *   DIR/summary.csv       name,value: the /summary attributes (a complete file only)
 * The wide tables start with a comment line "#units,..." giving each column's unit in its
 * place, so pandas reads them with comment="#". arm is empty for a plain trial file; a file of
 * arms (cart_arms.h: groups /arms/NAME) gives every arm's rows, arm by arm, arm holding the
 * arm's name, and summary.csv is then arm,name,value.
 * Missing values (a failed patient's, an int32 endpoint's fill) are empty fields.
 *
 * The file is read through the HDF5 C API (libcart has writers only), in chunks of patients,
 * so memory does not grow with N. A file marked incomplete (complete = 0) is exported with the
 * patients whose row was written (/status is written last of a block's rows), and stderr says
 * so. Every write is checked; a table that could not be written whole is removed.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <hdf5.h>

#include <cart/cart.h>

#include "cli.h"

static const cli_option export_options[] = {
    {"--csv", NULL, 1}, {"--force", NULL, 0}, {"--chunk", NULL, 1}, {NULL, NULL, 0}};

const cli_command cli_export_command = {
    "export", "cart export FILE.h5 --csv DIR [--force]",
    "\n"
    "Writes a trial file (from cart trial, cart-mpi trial or Python's trial()) as CSV tables in\n"
    "DIR (created if missing; its parent must exist):\n"
    "  trajectories.csv  long format: patient,arm,time,name,value,unit\n"
    "  endpoints.csv     one row a patient: patient,arm,status and each endpoint\n"
    "  parameters.csv    one row a patient: patient,arm and each parameter\n"
    "  summary.csv       name,value of the trial summary (complete files only)\n"
    "The wide tables begin with a line '#units,...' holding each column's unit: read them with\n"
    "pandas.read_csv(PATH, comment=\"#\"). Empty fields are missing values. arm is the arm's\n"
    "name for a trial of arms ([arm NAME] sections: every arm's rows, and summary.csv is then\n"
    "arm,name,value), empty otherwise. A file marked incomplete is exported with its finished\n"
    "patients.\n"
    "\n"
    "  --csv DIR     the directory to write (required)\n"
    "  --force       replace tables already in DIR\n"
    "  --chunk P     (testing) read P patients at a time (default: as many as 32 MiB hold)\n"
    "  -h, --help    this help\n"
    "\n"
    "Exit status: 0 success, 1 a write failed, 2 bad usage or input.\n",
    export_options, NULL};

/* Memory for one chunk of patients' rows: patients are read this many bytes at a time (at least
 * one patient). */
#define EXPORT_CHUNK_BYTES (32u * 1024u * 1024u)

/* ---- checked output ---- */

/* A CSV table being written: the first failed write is kept (its errno) and reported once. */
typedef struct table {
  FILE *f;
  char path[4096];
  int error;  /* errno of the first failed write, 0 while none */
  int opened; /* this run created or truncated the file */
} table;

static int table_open(table *t, const char *dir, const char *name, int force)
{
  memset(t, 0, sizeof *t);
  if ((size_t)snprintf(t->path, sizeof t->path, "%s/%s", dir, name) >= sizeof t->path) {
    return fail(EXIT_BAD_INPUT, "'%s/%s': path too long", dir, name);
  }
  if (!force && access(t->path, F_OK) == 0) {
    return fail(EXIT_BAD_INPUT, "'%s' exists (use --force to replace it)", t->path);
  }
  t->f = fopen(t->path, "w");
  if (t->f == NULL) {
    return fail(EXIT_BAD_INPUT, "cannot write '%s': %s", t->path, strerror(errno));
  }
  t->opened = 1;
  setvbuf(t->f, NULL, _IOFBF, 1 << 20);
  return 0;
}

static void table_printf(table *t, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void table_printf(table *t, const char *format, ...)
{
  if (t->error) {
    return;
  }
  va_list args;
  va_start(args, format);
  errno = 0;
  if (vfprintf(t->f, format, args) < 0) {
    t->error = errno ? errno : EIO;
  }
  va_end(args);
}

/* A text field, quoted when it holds a comma, a quote or a line break (RFC 4180). */
static void table_text(table *t, const char *text)
{
  if (strpbrk(text, ",\"\r\n") == NULL) {
    table_printf(t, "%s", text);
    return;
  }
  table_printf(t, "\"");
  for (const char *c = text; *c; c++) {
    table_printf(t, *c == '"' ? "\"\"" : "%c", *c);
  }
  table_printf(t, "\"");
}

/* v in the fewest significant digits (15 to 17) that read back as the same double. */
static void shortest_double(char *text, size_t size, double v)
{
  for (int digits = 15; digits <= 17; digits++) {
    snprintf(text, size, "%.*g", digits, v);
    if (strtod(text, NULL) == v) {
      return;
    }
  }
}

/* A float64 field that reads back as the same double; NaN is an empty field. */
static void table_double(table *t, double v)
{
  if (!isnan(v)) {
    char text[40];
    shortest_double(text, sizeof text, v);
    table_printf(t, "%s", text);
  }
}

/* Closes the table; on any failure says why, removes the partial table and returns 1. */
static int table_close(table *t)
{
  if (t->f == NULL) {
    return 0;
  }
  errno = 0;
  if (!t->error && fflush(t->f) != 0) {
    t->error = errno ? errno : EIO;
  }
  if (fclose(t->f) != 0 && !t->error) {
    t->error = errno ? errno : EIO;
  }
  t->f = NULL;
  if (t->error) {
    fail(EXIT_SOLVE_FAILED, "cannot write '%s': %s", t->path, strerror(t->error));
    unlink(t->path);
    return EXIT_SOLVE_FAILED;
  }
  return 0;
}

/* ---- reading the trial file ---- */

/* A dataset of the file with its shape: rows (patients or times) and columns (1 for a vector). */
typedef struct column_set {
  hid_t id;
  hsize_t rows, columns;
  int is_int;
  char *name, *unit;
} column_set;

typedef struct names {
  char **items;
  size_t count;
} names;

static void names_free(names *n)
{
  for (size_t i = 0; i < n->count; i++) {
    free(n->items[i]);
  }
  free(n->items);
  n->items = NULL;
  n->count = 0;
}

static herr_t collect_name(hid_t group, const char *name, const H5L_info_t *info, void *data)
{
  (void)group;
  (void)info;
  names *n = data;
  char **grown = realloc(n->items, (n->count + 1) * sizeof *grown);
  char *copy = strdup(name);
  if (grown == NULL || copy == NULL) {
    free(copy);
    if (grown != NULL) {
      n->items = grown;
    }
    return -1;
  }
  n->items = grown;
  n->items[n->count++] = copy;
  return 0;
}

/* The links of `group` in name order (h5py's order too), or -1. */
static int group_names(hid_t file, const char *group, names *out)
{
  memset(out, 0, sizeof *out);
  hid_t g = H5Gopen2(file, group, H5P_DEFAULT);
  if (g < 0) {
    return -1;
  }
  hsize_t index = 0;
  const herr_t status = H5Literate(g, H5_INDEX_NAME, H5_ITER_INC, &index, collect_name, out);
  H5Gclose(g);
  return status < 0 ? -1 : 0;
}

/* The strings of attribute `name` of `loc` (a scalar or a vector of fixed or variable-length
 * strings), malloc'd, or -1. */
static int attr_strings(hid_t loc, const char *name, names *out)
{
  memset(out, 0, sizeof *out);
  if (H5Aexists(loc, name) <= 0) {
    return -1;
  }
  int status = -1;
  hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
  hid_t type = attr >= 0 ? H5Aget_type(attr) : -1;
  hid_t space = attr >= 0 ? H5Aget_space(attr) : -1;
  hssize_t n = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  if (type >= 0 && H5Tget_class(type) == H5T_STRING && n >= 0) {
    out->items = calloc((size_t)n + 1, sizeof *out->items);
    const int variable = H5Tis_variable_str(type) > 0;
    hid_t mem = H5Tcopy(H5T_C_S1);
    const size_t size = variable ? 0 : H5Tget_size(type);
    char **pointers = variable ? calloc((size_t)n + 1, sizeof *pointers) : NULL;
    char *fixed = variable ? NULL : calloc((size_t)n + 1, size + 1);
    if (out->items != NULL && mem >= 0 && (variable ? pointers != NULL : fixed != NULL) &&
        H5Tset_size(mem, variable ? H5T_VARIABLE : size + 1) >= 0 &&
        H5Tset_cset(mem, H5Tget_cset(type)) >= 0 && /* HDF5 converts no character set */
        H5Aread(attr, mem, variable ? (void *)pointers : (void *)fixed) >= 0) {
      status = 0;
      for (hssize_t i = 0; i < n; i++) {
        const char *text = variable ? pointers[i] : fixed + (size_t)i * (size + 1);
        if ((out->items[i] = strdup(text ? text : "")) == NULL) {
          status = -1;
        }
        out->count++;
      }
      if (variable) {
        H5Dvlen_reclaim(mem, space, H5P_DEFAULT, pointers);
      }
    }
    free(pointers);
    free(fixed);
    if (mem >= 0) {
      H5Tclose(mem);
    }
  }
  if (space >= 0) {
    H5Sclose(space);
  }
  if (type >= 0) {
    H5Tclose(type);
  }
  if (attr >= 0) {
    H5Aclose(attr);
  }
  if (status != 0) {
    names_free(out);
  }
  return status;
}

/* The unit attribute of a dataset, malloc'd ("" when it has none). */
static char *unit_of(hid_t id)
{
  names unit;
  if (attr_strings(id, "unit", &unit) != 0 || unit.count != 1) {
    names_free(&unit);
    return strdup("");
  }
  char *text = unit.items[0];
  unit.items[0] = NULL;
  names_free(&unit);
  return text;
}

/* Opens `path` in the file as a 1-D or 2-D dataset; 0, or -1 with a message printed. A chunk
 * cache of `cache_bytes` (0: HDF5's) lets a chunk read in pieces be decompressed once. */
static int column_set_open(hid_t file, const char *file_path, const char *path, size_t cache_bytes,
                           column_set *c)
{
  memset(c, 0, sizeof *c);
  c->id = -1;
  hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
  if (dapl >= 0 && cache_bytes > 0) {
    H5Pset_chunk_cache(dapl, 521, cache_bytes, 1.0);
  }
  if (H5Lexists(file, path, H5P_DEFAULT) > 0) {
    c->id = H5Dopen2(file, path, dapl);
  }
  if (dapl >= 0) {
    H5Pclose(dapl);
  }
  if (c->id < 0) {
    fail(EXIT_BAD_INPUT, "'%s' is not a trial file: no dataset %s", file_path, path);
    return -1;
  }
  hid_t space = H5Dget_space(c->id), type = H5Dget_type(c->id);
  hsize_t dims[2] = {0, 1};
  const int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
  if (rank == 1 || rank == 2) {
    H5Sget_simple_extent_dims(space, dims, NULL);
  }
  const H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
  c->rows = dims[0];
  c->columns = rank == 2 ? dims[1] : 1;
  c->is_int = cls == H5T_INTEGER;
  if (space >= 0) {
    H5Sclose(space);
  }
  if (type >= 0) {
    H5Tclose(type);
  }
  if ((rank != 1 && rank != 2) || (cls != H5T_INTEGER && cls != H5T_FLOAT)) {
    fail(EXIT_BAD_INPUT, "'%s' is not a trial file: %s is not a numeric table", file_path, path);
    H5Dclose(c->id);
    c->id = -1;
    return -1;
  }
  c->unit = unit_of(c->id);
  return 0;
}

static void column_set_close(column_set *c)
{
  if (c->id >= 0) {
    H5Dclose(c->id);
  }
  free(c->unit);
  free(c->name);
  c->id = -1;
  c->unit = c->name = NULL;
}

/* Rows first..first+count-1 of `c` into `buffer` as mem_type (count x columns); -1 on failure. */
static int read_rows(const column_set *c, hid_t mem_type, hsize_t first, hsize_t count,
                     void *buffer)
{
  hid_t file_space = H5Dget_space(c->id);
  hsize_t start[2] = {first, 0}, size[2] = {count, c->columns};
  const int rank = H5Sget_simple_extent_ndims(file_space);
  hid_t mem_space = H5Screate_simple(rank, size, NULL);
  herr_t status = -1;
  if (file_space >= 0 && mem_space >= 0 &&
      H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, size, NULL) >= 0) {
    status = H5Dread(c->id, mem_type, mem_space, file_space, H5P_DEFAULT, buffer);
  }
  if (mem_space >= 0) {
    H5Sclose(mem_space);
  }
  if (file_space >= 0) {
    H5Sclose(file_space);
  }
  return status < 0 ? -1 : 0;
}

/* The trial file open for export. */
typedef struct trial_file {
  const char *path;
  char prefix[96]; /* "" for the plain layout, "/arms/NAME" for an arm's datasets */
  hid_t file;
  int complete;
  hsize_t n_patients;
  column_set time, params, status;
  names param_names, param_units;
  column_set *trajectories, *endpoints;
  size_t n_trajectories, n_endpoints;
  double *times;
  unsigned long long chunk; /* --chunk (testing), 0: by memory */
} trial_file;

static void trial_file_close(trial_file *t)
{
  column_set_close(&t->time);
  column_set_close(&t->params);
  column_set_close(&t->status);
  for (size_t i = 0; i < t->n_trajectories; i++) {
    column_set_close(&t->trajectories[i]);
  }
  for (size_t i = 0; i < t->n_endpoints; i++) {
    column_set_close(&t->endpoints[i]);
  }
  free(t->trajectories);
  free(t->endpoints);
  free(t->times);
  names_free(&t->param_names);
  names_free(&t->param_units);
  if (t->file >= 0) {
    H5Fclose(t->file);
  }
  t->file = -1;
}

/* The datasets of group `group` ("/trajectories", "/endpoints") in `order` (names of the
 * model's endpoints first, in its order; NULL: name order), checked to have n rows. */
static int open_group(trial_file *t, const char *group, const names *order, column_set **out,
                      size_t *count, size_t cache_bytes)
{
  names found;
  *out = NULL;
  *count = 0;
  char full[128];
  snprintf(full, sizeof full, "%s%s", t->prefix, group);
  if (group_names(t->file, full, &found) != 0) {
    return fail(EXIT_BAD_INPUT, "'%s' is not a trial file: no group %s", t->path, full);
  }
  /* the model's names present in the file first, then the others in name order */
  char **sorted = calloc(found.count + 1, sizeof *sorted);
  size_t n = 0;
  for (size_t k = 0; order != NULL && sorted != NULL && k < order->count; k++) {
    for (size_t i = 0; i < found.count; i++) {
      if (found.items[i] != NULL && strcmp(found.items[i], order->items[k]) == 0) {
        sorted[n++] = found.items[i];
        found.items[i] = NULL;
      }
    }
  }
  for (size_t i = 0; sorted != NULL && i < found.count; i++) {
    if (found.items[i] != NULL) {
      sorted[n++] = found.items[i];
      found.items[i] = NULL;
    }
  }
  *out = calloc(n + 1, sizeof **out);
  int status = sorted == NULL || *out == NULL ? fail(EXIT_SOLVE_FAILED, "out of memory") : 0;
  for (size_t i = 0; status == 0 && i < n; i++) {
    char path[1024];
    snprintf(path, sizeof path, "%s%s/%s", t->prefix, group, sorted[i]);
    if (column_set_open(t->file, t->path, path, cache_bytes, &(*out)[i]) != 0) {
      status = EXIT_BAD_INPUT;
      break;
    }
    (*out)[i].name = sorted[i];
    sorted[i] = NULL;
    *count = i + 1;
    if ((*out)[i].rows != t->n_patients) {
      status = fail(EXIT_BAD_INPUT, "'%s': %s has %llu rows, /status %llu", t->path, path,
                    (unsigned long long)(*out)[i].rows, (unsigned long long)t->n_patients);
    }
  }
  for (size_t i = 0; sorted != NULL && i < n; i++) {
    free(sorted[i]);
  }
  free(sorted);
  names_free(&found);
  return status;
}

/* The endpoint names of the file's model in its order (empty for a model this libcart lacks). */
static void model_endpoints(hid_t file, names *out)
{
  memset(out, 0, sizeof *out);
  names model;
  if (attr_strings(file, "model", &model) != 0 || model.count != 1) {
    names_free(&model);
    return;
  }
  const cart_model *m = cart_model_find(model.items[0], NULL);
  names_free(&model);
  const size_t n = m ? cart_model_n_endpoints(m) : 0;
  out->items = calloc(n + 1, sizeof *out->items);
  for (size_t i = 0; out->items != NULL && i < n; i++) {
    cart_endpoint_info info;
    if (cart_model_endpoint_info(m, i, &info) == CART_OK &&
        (out->items[out->count] = strdup(info.name)) != NULL) {
      out->count++;
    }
  }
}

/* The file at `path`, the datasets of the arm `arm` (NULL: the plain layout). */
static int trial_file_open(trial_file *t, const char *path, const char *arm)
{
  memset(t, 0, sizeof *t);
  t->path = path;
  if (arm != NULL) {
    snprintf(t->prefix, sizeof t->prefix, "/arms/%s", arm);
  }
  char status_path[128], params_path[128];
  snprintf(status_path, sizeof status_path, "%s/status", t->prefix);
  snprintf(params_path, sizeof params_path, "%s/params", t->prefix);
  t->file = -1;
  t->time.id = t->params.id = t->status.id = -1;
  struct stat info;
  if (stat(path, &info) != 0) {
    return fail(EXIT_BAD_INPUT, "cannot read '%s': %s", path, strerror(errno));
  }
  if (S_ISDIR(info.st_mode)) {
    return fail(EXIT_BAD_INPUT, "'%s' is a directory, not a trial file", path);
  }
  if (H5Fis_hdf5(path) <= 0 || (t->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT)) < 0) {
    return fail(EXIT_BAD_INPUT, "'%s' is not an HDF5 file (a trial file from cart trial)", path);
  }
  if (column_set_open(t->file, path, status_path, 0, &t->status) != 0 ||
      column_set_open(t->file, path, "/time", 0, &t->time) != 0 ||
      column_set_open(t->file, path, params_path, 0, &t->params) != 0) {
    return EXIT_BAD_INPUT;
  }
  t->n_patients = t->status.rows;
  if (t->params.rows != t->n_patients || t->time.columns != 1 || t->status.columns != 1) {
    return fail(EXIT_BAD_INPUT, "'%s': /status, /time and /params do not agree in shape", path);
  }
  /* the sizes come from the file: bounded before any buffer is sized from them (a trial file
   * has at most CART_MAX_OUTPUT_TIMES times and CART_MAX_PARAMS-ish parameters) */
  if (t->time.rows == 0 || t->time.rows > CART_MAX_OUTPUT_TIMES || t->params.columns > 4096) {
    return fail(EXIT_BAD_INPUT, "'%s': /time has %llu times and /params %llu columns: not a "
                "trial file", path, (unsigned long long)t->time.rows,
                (unsigned long long)t->params.columns);
  }
  if (attr_strings(t->params.id, "names", &t->param_names) != 0 ||
      attr_strings(t->params.id, "units", &t->param_units) != 0 ||
      t->param_names.count != t->params.columns || t->param_units.count != t->params.columns) {
    return fail(EXIT_BAD_INPUT, "'%s': /params lacks names and units for its %llu columns", path,
                (unsigned long long)t->params.columns);
  }
  int complete = 0;
  if (H5Aexists(t->file, "complete") > 0) {
    hid_t attr = H5Aopen(t->file, "complete", H5P_DEFAULT);
    if (attr < 0 || H5Aread(attr, H5T_NATIVE_INT, &complete) < 0) {
      complete = 0;
    }
    if (attr >= 0) {
      H5Aclose(attr);
    }
  }
  t->complete = complete;
  t->times = malloc((t->time.rows + 1) * sizeof *t->times);
  if (t->times == NULL || read_rows(&t->time, H5T_NATIVE_DOUBLE, 0, t->time.rows, t->times) != 0) {
    return fail(EXIT_BAD_INPUT, "'%s': cannot read /time", path);
  }
  /* a chunk cache of one block's rows of a trajectory, so that reading it in pieces
   * decompresses each chunk once */
  const size_t row_bytes = (size_t)t->time.rows * sizeof(float);
  size_t cache = row_bytes * CART_TRIAL_BLOCK_DEFAULT + (1u << 20);
  if (cache > EXPORT_CHUNK_BYTES) {
    cache = EXPORT_CHUNK_BYTES;
  }
  names order;
  model_endpoints(t->file, &order);
  int status = open_group(t, "/trajectories", NULL, &t->trajectories, &t->n_trajectories, cache);
  if (status == 0) {
    status = open_group(t, "/endpoints", &order, &t->endpoints, &t->n_endpoints, 0);
  }
  names_free(&order);
  for (size_t i = 0; status == 0 && i < t->n_endpoints; i++) {
    if (t->endpoints[i].columns != 1) { /* an endpoint is one number per patient */
      status = fail(EXIT_BAD_INPUT, "'%s': /endpoints/%s has %llu columns, not 1", path,
                    t->endpoints[i].name, (unsigned long long)t->endpoints[i].columns);
    }
  }
  for (size_t i = 0; status == 0 && i < t->n_trajectories; i++) {
    if (t->trajectories[i].columns != t->time.rows) {
      status = fail(EXIT_BAD_INPUT, "'%s': /trajectories/%s has %llu columns, /time %llu times",
                    path, t->trajectories[i].name,
                    (unsigned long long)t->trajectories[i].columns,
                    (unsigned long long)t->time.rows);
    }
  }
  return status;
}

/* ---- the tables ---- */

/* The units comment of a wide table: "#units,," then the units of `first` extra columns (blank)
 * and of the sets or names given. */
static void units_line(table *out, size_t blanks, const column_set *sets, size_t n_sets,
                       const names *units)
{
  table_printf(out, "#units,");
  for (size_t i = 0; i < blanks; i++) {
    table_printf(out, ",");
  }
  for (size_t i = 0; i < n_sets; i++) {
    table_printf(out, ",");
    table_text(out, sets[i].unit);
  }
  for (size_t i = 0; units != NULL && i < units->count; i++) {
    table_printf(out, ",");
    table_text(out, units->items[i]);
  }
  table_printf(out, "\n");
}

/* Patients per chunk: as many as EXPORT_CHUNK_BYTES hold, at least one (or t->chunk). */
static hsize_t chunk_patients(const trial_file *t)
{
  if (t->chunk > 0) {
    return (hsize_t)t->chunk;
  }
  const size_t per_patient = t->n_trajectories * (size_t)t->time.rows * sizeof(float) +
                             (size_t)t->params.columns * sizeof(double) +
                             t->n_endpoints * sizeof(double) + sizeof(int);
  hsize_t n = per_patient > 0 ? EXPORT_CHUNK_BYTES / per_patient : 1;
  return n < 1 ? 1 : n;
}

/* Writes every table, chunk by chunk, the headers first when `header`, `arm` in the arm column
 * ("" for the plain layout); adds the patients exported to *written. */
static int export_tables(trial_file *t, const char *arm, int header, table *traj, table *ends,
                         table *pars, hsize_t *written)
{
  const hsize_t chunk = chunk_patients(t), n_times = t->time.rows;
  const size_t n_traj = t->n_trajectories, n_end = t->n_endpoints, n_par = t->params.columns;
  /* element counts from the file's sizes, each product checked */
  size_t n_values, n_params, n_endpoint_values;
  const int too_large = __builtin_mul_overflow(n_traj * (size_t)n_times, (size_t)chunk,
                                               &n_values) ||
                        __builtin_mul_overflow((size_t)chunk, n_par, &n_params) ||
                        __builtin_mul_overflow(n_end, (size_t)chunk, &n_endpoint_values) ||
                        n_values >= SIZE_MAX / sizeof(float) - 1 ||
                        n_params >= SIZE_MAX / sizeof(double) - 1 ||
                        n_endpoint_values >= SIZE_MAX / sizeof(double) - 1;
  int *status = too_large ? NULL : malloc(chunk * sizeof *status);
  float *values = too_large ? NULL : malloc((n_values + 1) * sizeof *values);
  double *params = too_large ? NULL : malloc((n_params + 1) * sizeof *params);
  double *endpoints = too_large ? NULL : malloc((n_endpoint_values + 1) * sizeof *endpoints);
  char **time_text = calloc(n_times + 1, sizeof *time_text);
  int result = 0;
  if (status == NULL || values == NULL || params == NULL || endpoints == NULL ||
      time_text == NULL) {
    result = fail(EXIT_SOLVE_FAILED, "out of memory");
    goto done;
  }
  for (hsize_t k = 0; k < n_times; k++) {
    char text[40];
    shortest_double(text, sizeof text, t->times[k]);
    if ((time_text[k] = strdup(text)) == NULL) {
      result = fail(EXIT_SOLVE_FAILED, "out of memory");
      goto done;
    }
  }
  if (header) {
    table_printf(traj, "patient,arm,time,name,value,unit\n");
    units_line(ends, 1, t->endpoints, n_end, NULL);
    table_printf(ends, "patient,arm,status");
    for (size_t e = 0; e < n_end; e++) {
      table_printf(ends, ",");
      table_text(ends, t->endpoints[e].name);
    }
    table_printf(ends, "\n");
    units_line(pars, 0, NULL, 0, &t->param_units);
    table_printf(pars, "patient,arm");
    for (size_t p = 0; p < n_par; p++) {
      table_printf(pars, ",");
      table_text(pars, t->param_names.items[p]);
    }
    table_printf(pars, "\n");
  }

  for (hsize_t first = 0; first < t->n_patients; first += chunk) {
    const hsize_t count = t->n_patients - first < chunk ? t->n_patients - first : chunk;
    int read_failed = read_rows(&t->status, H5T_NATIVE_INT, first, count, status) != 0 ||
                      read_rows(&t->params, H5T_NATIVE_DOUBLE, first, count, params) != 0;
    for (size_t j = 0; !read_failed && j < n_traj; j++) {
      read_failed = read_rows(&t->trajectories[j], H5T_NATIVE_FLOAT, first, count,
                              values + j * count * n_times) != 0;
    }
    for (size_t e = 0; !read_failed && e < n_end; e++) {
      read_failed = read_rows(&t->endpoints[e], H5T_NATIVE_DOUBLE, first, count,
                              endpoints + e * count) != 0;
    }
    if (read_failed) {
      result = fail(EXIT_BAD_INPUT, "'%s': cannot read the rows of patients %llu-%llu", t->path,
                    (unsigned long long)first, (unsigned long long)(first + count - 1));
      goto done;
    }
    for (hsize_t i = 0; i < count; i++) {
      if (status[i] == INT32_MIN) {
        continue; /* not written (an incomplete file) */
      }
      const unsigned long long patient = (unsigned long long)(first + i);
      (*written)++;
      for (size_t j = 0; j < n_traj; j++) {
        const float *row = values + (j * count + i) * n_times;
        for (hsize_t k = 0; k < n_times; k++) {
          table_printf(traj, "%llu,%s,%s,", patient, arm, time_text[k]);
          table_text(traj, t->trajectories[j].name);
          if (isnan(row[k])) {
            table_printf(traj, ",,");
          } else {
            table_printf(traj, ",%.9g,", (double)row[k]); /* 9 digits: the float32 exactly */
          }
          table_text(traj, t->trajectories[j].unit);
          table_printf(traj, "\n");
        }
      }
      table_printf(ends, "%llu,%s,%d", patient, arm, status[i]);
      for (size_t e = 0; e < n_end; e++) {
        const double v = endpoints[e * count + i];
        table_printf(ends, ",");
        if (t->endpoints[e].is_int) {
          if (v != (double)INT32_MIN) { /* the fill: failed or no value */
            table_printf(ends, "%.0f", v);
          }
        } else {
          table_double(ends, v);
        }
      }
      table_printf(ends, "\n");
      table_printf(pars, "%llu,%s", patient, arm);
      for (size_t p = 0; p < n_par; p++) {
        table_printf(pars, ",");
        table_double(pars, params[i * n_par + p]);
      }
      table_printf(pars, "\n");
    }
    if (traj->error || ends->error || pars->error) {
      break; /* reported by table_close */
    }
  }
done:
  for (hsize_t k = 0; time_text != NULL && k < n_times; k++) {
    free(time_text[k]);
  }
  free(time_text);
  free(status);
  free(values);
  free(params);
  free(endpoints);
  return result;
}

/* What summary_row writes to: the table, and the arm column's value (NULL: no arm column). */
typedef struct summary_out {
  table *out;
  const char *arm;
} summary_out;

static herr_t summary_row(hid_t loc, const char *name, const H5A_info_t *info, void *data)
{
  (void)info;
  const summary_out *to = data;
  table *out = to->out;
  double value = NAN;
  hid_t attr = H5Aopen(loc, name, H5P_DEFAULT);
  hid_t type = attr >= 0 ? H5Aget_type(attr) : -1;
  const H5T_class_t cls = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
  herr_t status = -1;
  if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
    status = H5Aread(attr, H5T_NATIVE_DOUBLE, &value);
  }
  if (type >= 0) {
    H5Tclose(type);
  }
  if (attr >= 0) {
    H5Aclose(attr);
  }
  if (status >= 0) {
    if (to->arm != NULL) {
      table_printf(out, "%s,", to->arm);
    }
    table_text(out, name);
    table_printf(out, ",");
    table_double(out, value);
    table_printf(out, "\n");
  }
  return 0; /* a non-numeric attribute is left out */
}

/* summary.csv: name,value of every numeric summary attribute; with arms arm,name,value, the
 * header only when `header`. */
static int export_summary(trial_file *t, table *out, const char *arm, int header)
{
  if (header) {
    table_printf(out, arm != NULL ? "arm,name,value\n" : "name,value\n");
  }
  char path[128];
  snprintf(path, sizeof path, "%s/summary", t->prefix);
  hid_t group = H5Gopen2(t->file, path, H5P_DEFAULT);
  hsize_t index = 0;
  int status = 0;
  summary_out to = {out, arm};
  if (group < 0 || H5Aiterate2(group, H5_INDEX_NAME, H5_ITER_INC, &index, summary_row, &to) < 0) {
    status = fail(EXIT_BAD_INPUT, "'%s': cannot read %s", t->path, path);
  }
  if (group >= 0) {
    H5Gclose(group);
  }
  return status;
}

/* The arm names of a file of arms (its root attribute arms), or none (count 0): the plain
 * layout. */
static int file_arms(const char *path, names *arms)
{
  memset(arms, 0, sizeof *arms);
  if (H5Fis_hdf5(path) <= 0) {
    return 0; /* trial_file_open says why */
  }
  hid_t file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  int status = 0;
  if (file >= 0 && H5Aexists(file, "arms") > 0 && attr_strings(file, "arms", arms) != 0) {
    status = fail(EXIT_BAD_INPUT, "'%s': cannot read the root attribute arms", path);
  }
  if (file >= 0) {
    H5Fclose(file);
  }
  return status;
}

/* DIR, created when missing (one level, as mkdir). */
static int make_dir(const char *dir)
{
  struct stat info;
  if (stat(dir, &info) == 0) {
    return S_ISDIR(info.st_mode) ? 0 : fail(EXIT_BAD_INPUT, "'%s' is not a directory", dir);
  }
  if (mkdir(dir, 0777) != 0) {
    return fail(EXIT_BAD_INPUT, "cannot create directory '%s': %s", dir, strerror(errno));
  }
  return 0;
}

int cli_export(int argc, char **argv)
{
  const char *input = NULL, *dir = NULL;
  int force = 0;
  unsigned long long chunk = 0;
  for (int i = 0; i < argc; i++) {
    const char *value = NULL;
    const int k = cli_next_option(&cli_export_command, argc, argv, &i, &value);
    if (k == CLI_HELP || k == CLI_BAD) {
      return cli_stop_status(k);
    }
    if (k == CLI_ARGUMENT) {
      if (input != NULL) {
        return fail(EXIT_BAD_INPUT, "cart export takes one trial file, got '%s' and '%s'", input,
                    argv[i]);
      }
      input = argv[i];
    } else if (strcmp(cli_option_at(&cli_export_command, k)->name, "--csv") == 0) {
      dir = value;
    } else if (strcmp(cli_option_at(&cli_export_command, k)->name, "--chunk") == 0) {
      if (cli_parse_count("--chunk", value, &chunk) != 0) {
        return EXIT_BAD_INPUT;
      }
    } else {
      force = 1;
    }
  }
  if (input == NULL || dir == NULL || dir[0] == '\0') {
    fail(EXIT_BAD_INPUT, "cart export needs %s", input == NULL ? "a trial file" : "--csv DIR");
    cli_print_usage(&cli_export_command, stderr);
    return EXIT_BAD_INPUT;
  }
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* our messages, not HDF5's stack */
  names arms;
  int status = file_arms(input, &arms);
  /* a file of arms: every arm's rows, the arm column holding its name */
  const size_t n_arms = arms.count > 0 ? arms.count : 1;
  trial_file t;
  memset(&t, 0, sizeof t);
  t.file = -1;
  table tables[4];
  memset(tables, 0, sizeof tables);
  table *traj = &tables[0], *ends = &tables[1], *pars = &tables[2], *summary = &tables[3];
  hsize_t written = 0, total = 0;
  for (size_t a = 0; status == 0 && a < n_arms; a++) {
    const char *arm = arms.count > 0 ? arms.items[a] : NULL;
    trial_file_close(&t);
    status = trial_file_open(&t, input, arm);
    t.chunk = chunk;
    if (status == 0 && a == 0) {
      status = make_dir(dir);
    }
    char summary_path[128];
    snprintf(summary_path, sizeof summary_path, "%s/summary", t.prefix);
    /* summary.csv only of a complete file: an incomplete one has no summary */
    const int has_summary = status == 0 && t.complete &&
                            H5Lexists(t.file, summary_path, H5P_DEFAULT) > 0;
    if (status == 0 && a == 0 && (status = table_open(traj, dir, "trajectories.csv", force)) == 0 &&
        (status = table_open(ends, dir, "endpoints.csv", force)) == 0 &&
        (status = table_open(pars, dir, "parameters.csv", force)) == 0 && has_summary) {
      status = table_open(summary, dir, "summary.csv", force);
    }
    if (status == 0) {
      status = export_tables(&t, arm ? arm : "", a == 0, traj, ends, pars, &written);
      total += t.n_patients;
    }
    if (status == 0 && has_summary && summary->opened) {
      status = export_summary(&t, summary, arm, a == 0);
    }
  }
  names_free(&arms);
  /* close every table whatever happened: each reports its own failure */
  for (int i = 0; i < 4; i++) {
    const int closed = table_close(&tables[i]);
    status = status != 0 ? status : closed;
  }
  if (status != 0) { /* a partial export is no export: remove the tables this run wrote */
    for (int i = 0; i < 4; i++) {
      if (tables[i].opened) {
        unlink(tables[i].path);
      }
    }
  }
  if (status == 0 && !t.complete) {
    fprintf(stderr, "cart: '%s' is marked incomplete (complete = 0): exported its %llu finished "
            "patients of %llu\n", input, (unsigned long long)written, (unsigned long long)total);
  }
  trial_file_close(&t);
  return status;
}

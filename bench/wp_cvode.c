/* wp_cvode.c: the work-precision diagram's CVODE program (bench/work_precision.sh).
 *
 * MODEL.md's `cart` (section 2.2, written here from MODEL.md, independently of the library) solved
 * with SUNDIALS CVODE: BDF, dense direct linear solver, analytic Jacobian; the configuration of the
 * CVODE baseline of ../shared/anchors/BASELINES.md, with the tolerance as an argument. The first N
 * patients of bench_params.csv (rho, gamma, delta_E and T0 vary; every other parameter keeps its
 * MODEL.md default), days 0..365 with output every day, one patient after another, one thread.
 *
 * Tolerances: rtol as given; atol per state = MODEL.md's atol (1 cell, 1e-3 pg/mL, 1e-6 mg) times
 * ATOL_SCALE (default rtol / 1e-6, the rule of bench/work_precision.sh).
 *
 * Usage: wp_cvode PARAMS.csv N RTOL [DUMP.csv [ATOL_SCALE]]
 * Prints one line in the baselines' format (tool, N, threads, wall seconds around the solve loop,
 * patients/s, checksum = sum over patients of E(365) + (Tp + Tn)(28), steps and evaluations per
 * patient); DUMP.csv gets per patient E and Tp + Tn on days 14, 28, 90 and 365 (%.17g). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench_util.h"

#include <cvode/cvode.h>
#include <nvector/nvector_serial.h>
#include <sunlinsol/sunlinsol_dense.h>
#include <sunmatrix/sunmatrix_dense.h>

enum { NS = 9, N_REPORT = 4 };
static const int REPORT_DAYS[N_REPORT] = {14, 28, 90, 365};

/* The parameters of `cart` that the right-hand side reads (MODEL.md 2.2 defaults). */
typedef struct model_params {
  double dose, f_mem, rho, KS, rho_ld, ld_tau, omega, delta_E, k_mem, k_exh, delta_M, delta_X;
  double gamma, Kkill, T0, f_neg0, r_tum, r_neg, K_tum, mu_loss, B0, b_ld, delta_B;
  double il6_0, k_il6, k_rec, p_kill, p_act, p_amp, IL6_50, h;
  double CL, V1, V2, Q, Vmax, Km, KD_toci;
  double p0; /* derived: IL-6 production that makes il6_0 a steady state */
} model_params;

static model_params defaults(void)
{
  model_params p = {
      .dose = 1.4e8, .f_mem = 0.2, .rho = 0.6, .KS = 1e9, .rho_ld = 0.6, .ld_tau = 7,
      .omega = 0.2, .delta_E = 0.25, .k_mem = 0.02, .k_exh = 0.05, .delta_M = 0.005,
      .delta_X = 0.1, .gamma = 1.0, .Kkill = 1e10, .T0 = 1e11, .f_neg0 = 1e-7, .r_tum = 0.03,
      .r_neg = 0.025, .K_tum = 1e12, .mu_loss = 1e-8, .B0 = 1e10, .b_ld = 0.1, .delta_B = 0.03,
      .il6_0 = 3, .k_il6 = 5, .k_rec = 15, .p_kill = 50, .p_act = 100, .p_amp = 8000,
      .IL6_50 = 300, .h = 2, .CL = 0.3, .V1 = 3.5, .V2 = 2.9, .Q = 0.2, .Vmax = 7.5, .Km = 2.7,
      .KD_toci = 0.4};
  return p;
}

/* Myeloid amplification of IL-6 and its derivative, at x = max(IL6s, 0). */
static double amplification(const model_params *p, double x)
{
  if (x <= 0) {
    return 0;
  }
  const double xh = pow(x, p->h);
  return p->p_amp * xh / (pow(p->IL6_50, p->h) + xh);
}

static double amplification_slope(const model_params *p, double x)
{
  if (x <= 0) {
    return 0;
  }
  const double kh = pow(p->IL6_50, p->h), xh = pow(x, p->h), s = kh + xh;
  return p->p_amp * p->h * (xh / x) * kh / (s * s);
}

static int rhs(sunrealtype t, N_Vector yv, N_Vector fv, void *user)
{
  const model_params *p = user;
  const double *y = N_VGetArrayPointer(yv);
  double *f = N_VGetArrayPointer(fv);
  const double E = y[0], M = y[1], X = y[2], Tp = y[3], Tn = y[4], B = y[5], IL6 = y[6];
  const double D1 = y[7], D2 = y[8];
  const double A = Tp + B, S = A / (A + p->KS), H = p->rho_ld * exp(-t / p->ld_tau);
  const double kill_Tp = p->gamma * E * Tp / (p->Kkill + A);
  const double kill_B = p->gamma * E * B / (p->Kkill + A);
  const double C1 = D1 / p->V1, RO = C1 / (C1 + p->KD_toci);
  const double growth = 1 - (Tp + Tn) / p->K_tum;
  f[0] = (p->rho * S + H) * E + p->omega * S * M - (p->delta_E + p->k_mem + p->k_exh * S) * E;
  f[1] = p->k_mem * E - p->omega * S * M - p->delta_M * M;
  f[2] = p->k_exh * S * E - p->delta_X * X;
  f[3] = p->r_tum * growth * Tp - p->mu_loss * Tp - kill_Tp;
  f[4] = p->r_neg * growth * Tn + p->mu_loss * Tp;
  f[5] = p->delta_B * p->B0 - p->delta_B * B - kill_B;
  f[6] = p->p0 + p->p_kill * (kill_Tp + kill_B) / 1e9 + p->p_act * S * E / 1e9 +
         amplification(p, IL6 * (1 - RO)) - (p->k_il6 + p->k_rec * (1 - RO)) * IL6;
  f[7] = -(p->CL / p->V1) * D1 - p->Vmax * C1 / (p->Km + C1) - (p->Q / p->V1) * D1 +
         (p->Q / p->V2) * D2;
  f[8] = (p->Q / p->V1) * D1 - (p->Q / p->V2) * D2;
  return 0;
}

/* d f / d y, derived by hand from rhs() (checked against difference quotients: `wp_cvode --check`). */
static int jacobian(sunrealtype t, N_Vector yv, N_Vector fy, SUNMatrix J, void *user, N_Vector t1,
                    N_Vector t2, N_Vector t3)
{
  (void)fy;
  (void)t1;
  (void)t2;
  (void)t3;
  const model_params *p = user;
  const double *y = N_VGetArrayPointer(yv);
  const double E = y[0], M = y[1], Tp = y[3], Tn = y[4], B = y[5], IL6 = y[6], D1 = y[7];
  const double A = Tp + B, S = A / (A + p->KS), dS = p->KS / ((A + p->KS) * (A + p->KS));
  const double H = p->rho_ld * exp(-t / p->ld_tau), den = p->Kkill + A;
  const double C1 = D1 / p->V1, RO = C1 / (C1 + p->KD_toci);
  const double dRO = p->KD_toci / ((C1 + p->KD_toci) * (C1 + p->KD_toci)) / p->V1; /* per mg of D1 */
  const double growth = 1 - (Tp + Tn) / p->K_tum;
  const double amp_slope = amplification_slope(p, IL6 * (1 - RO));
  const double kill_dA = p->gamma * E * p->Kkill / (den * den); /* d(kill_Tp + kill_B)/dA */
  SUNMatZero(J);
  double *c[NS];
  for (int j = 0; j < NS; j++) {
    c[j] = SUNDenseMatrix_Column(J, j); /* c[j][i] = df_i/dy_j */
  }
  /* E */
  c[0][0] = p->rho * S + H - (p->delta_E + p->k_mem + p->k_exh * S);
  c[1][0] = p->omega * S;
  c[3][0] = c[5][0] = (p->rho * E + p->omega * M - p->k_exh * E) * dS;
  /* M */
  c[0][1] = p->k_mem;
  c[1][1] = -p->omega * S - p->delta_M;
  c[3][1] = c[5][1] = -p->omega * M * dS;
  /* X */
  c[0][2] = p->k_exh * S;
  c[2][2] = -p->delta_X;
  c[3][2] = c[5][2] = p->k_exh * E * dS;
  /* Tp */
  c[0][3] = -p->gamma * Tp / den;
  c[3][3] = p->r_tum * growth - p->r_tum * Tp / p->K_tum - p->mu_loss -
            p->gamma * E * (den - Tp) / (den * den);
  c[4][3] = -p->r_tum * Tp / p->K_tum;
  c[5][3] = p->gamma * E * Tp / (den * den);
  /* Tn */
  c[3][4] = -p->r_neg * Tn / p->K_tum + p->mu_loss;
  c[4][4] = p->r_neg * growth - p->r_neg * Tn / p->K_tum;
  /* B */
  c[0][5] = -p->gamma * B / den;
  c[3][5] = p->gamma * E * B / (den * den);
  c[5][5] = -p->delta_B - p->gamma * E * (den - B) / (den * den);
  /* IL6 */
  c[0][6] = (p->p_kill * p->gamma * A / den + p->p_act * S) / 1e9;
  c[3][6] = c[5][6] = (p->p_kill * kill_dA + p->p_act * E * dS) / 1e9;
  c[6][6] = amp_slope * (1 - RO) - (p->k_il6 + p->k_rec * (1 - RO));
  c[7][6] = (p->k_rec - amp_slope) * IL6 * dRO;
  /* D1, D2 */
  c[7][7] = -p->CL / p->V1 - p->Vmax * p->Km / ((p->Km + C1) * (p->Km + C1)) / p->V1 - p->Q / p->V1;
  c[8][7] = p->Q / p->V2;
  c[7][8] = p->Q / p->V1;
  c[8][8] = -p->Q / p->V2;
  return 0;
}

static void initial_state(const model_params *p, double *y)
{
  y[0] = (1 - p->f_mem) * p->dose;
  y[1] = p->f_mem * p->dose;
  y[2] = 0;
  y[3] = (1 - p->f_neg0) * p->T0;
  y[4] = p->f_neg0 * p->T0;
  y[5] = p->b_ld * p->B0;
  y[6] = p->il6_0;
  y[7] = y[8] = 0;
}


/* Reads up to n patients (rows rho,gamma,delta_E,T0; bench_util.h), the rest MODEL.md's. */
static size_t read_patients(const char *path, size_t n, model_params *pats)
{
  double *rows = malloc(4 * n * sizeof *rows);
  const size_t k = rows != NULL ? bench_read_rows(path, n, rows) : 0;
  for (size_t i = 0; i < k; i++) {
    model_params *p = &pats[i];
    *p = defaults();
    p->rho = rows[4 * i];
    p->gamma = rows[4 * i + 1];
    p->delta_E = rows[4 * i + 2];
    p->T0 = rows[4 * i + 3];
    p->p0 = (p->k_il6 + p->k_rec) * p->il6_0 - amplification(p, p->il6_0);
  }
  free(rows);
  return k;
}

/* --check: the analytic Jacobian against central differences at a mid-course state. */
static int check_jacobian(SUNContext ctx)
{
  model_params p = defaults();
  p.p0 = (p.k_il6 + p.k_rec) * p.il6_0 - amplification(&p, p.il6_0);
  const double y0[NS] = {3e9, 5e8, 2e8, 4e10, 5e8, 3e9, 450, 120, 40};
  N_Vector y = N_VNew_Serial(NS, ctx), fp = N_VNew_Serial(NS, ctx), fm = N_VNew_Serial(NS, ctx);
  SUNMatrix J = SUNDenseMatrix(NS, NS, ctx);
  double *v = N_VGetArrayPointer(y);
  memcpy(v, y0, sizeof y0);
  jacobian(3.0, y, NULL, J, &p, NULL, NULL, NULL);
  double worst = 0;
  for (int j = 0; j < NS; j++) {
    const double h = 1e-6 * fabs(y0[j]);
    v[j] = y0[j] + h;
    rhs(3.0, y, fp, &p);
    v[j] = y0[j] - h;
    rhs(3.0, y, fm, &p);
    v[j] = y0[j];
    for (int i = 0; i < NS; i++) {
      const double fd = (N_VGetArrayPointer(fp)[i] - N_VGetArrayPointer(fm)[i]) / (2 * h);
      const double an = SM_ELEMENT_D(J, i, j);
      const double rel = fabs(fd - an) / fmax(fmax(fabs(fd), fabs(an)), 1e-12);
      if (rel > worst) {
        worst = rel;
      }
      if (rel > 1e-5) {
        printf("d f%d / d y%d: analytic %.10e, difference quotient %.10e\n", i, j, an, fd);
      }
    }
  }
  printf("jacobian check: largest relative difference %.2e\n", worst);
  SUNMatDestroy(J);
  N_VDestroy(y);
  N_VDestroy(fp);
  N_VDestroy(fm);
  return worst > 1e-5;
}

int main(int argc, char **argv)
{
  SUNContext ctx;
  if (SUNContext_Create(NULL, &ctx) != 0) {
    return 2;
  }
  if (argc == 2 && strcmp(argv[1], "--check") == 0) {
    const int bad = check_jacobian(ctx);
    SUNContext_Free(&ctx);
    return bad;
  }
  if (argc < 4 || argc > 6) {
    fprintf(stderr, "usage: %s PARAMS.csv N RTOL [DUMP.csv [ATOL_SCALE]]  or  %s --check\n",
            argv[0], argv[0]);
    return 2;
  }
  const long n_arg = atol(argv[2]);
  const double rtol = atof(argv[3]);
  const double atol_scale = argc > 5 ? atof(argv[5]) : rtol / 1e-6;
  if (n_arg <= 0 || !(rtol > 0) || !(atol_scale > 0)) {
    fprintf(stderr, "N, RTOL and ATOL_SCALE must be positive\n");
    return 2;
  }
  model_params *pats = malloc((size_t)n_arg * sizeof *pats);
  double *report = malloc((size_t)n_arg * 2 * N_REPORT * sizeof *report); /* E x 4, Tp+Tn x 4 */
  if (pats == NULL || report == NULL) {
    return 2;
  }
  const size_t n = read_patients(argv[1], (size_t)n_arg, pats);
  if (n == 0) {
    fprintf(stderr, "%s: no patients\n", argv[1]);
    return 2;
  }

  N_Vector y = N_VNew_Serial(NS, ctx), atol = N_VNew_Serial(NS, ctx);
  double *a = N_VGetArrayPointer(atol);
  for (int i = 0; i < 6; i++) {
    a[i] = 1.0 * atol_scale; /* cells */
  }
  a[6] = 1e-3 * atol_scale;        /* pg/mL */
  a[7] = a[8] = 1e-6 * atol_scale; /* mg */
  SUNMatrix J = SUNDenseMatrix(NS, NS, ctx);
  SUNLinearSolver LS = SUNLinSol_Dense(y, J, ctx);
  void *mem = CVodeCreate(CV_BDF, ctx);
  double *v = N_VGetArrayPointer(y);
  initial_state(&pats[0], v);
  if (mem == NULL || CVodeInit(mem, rhs, 0.0, y) != CV_SUCCESS ||
      CVodeSVtolerances(mem, rtol, atol) != CV_SUCCESS ||
      CVodeSetLinearSolver(mem, LS, J) != CV_SUCCESS || CVodeSetJacFn(mem, jacobian) != CV_SUCCESS ||
      CVodeSetMaxNumSteps(mem, 1000000) != CV_SUCCESS) {
    fprintf(stderr, "CVODE setup failed\n");
    return 2;
  }

  unsigned long failures = 0;
  long steps = 0, rhs_evals = 0, jac_evals = 0;
  const double start = bench_now();
  for (size_t i = 0; i < n; i++) {
    const model_params *p = &pats[i];
    double *r = report + 2 * N_REPORT * i;
    initial_state(p, v);
    CVodeReInit(mem, 0.0, y);
    CVodeSetUserData(mem, (void *)p);
    double t = 0;
    int k = 0, ok = 1;
    for (int day = 1; day <= 365 && ok; day++) {
      if (CVode(mem, day, y, &t, CV_NORMAL) < 0) {
        ok = 0;
      } else if (day == REPORT_DAYS[k]) {
        r[k] = v[0];
        r[N_REPORT + k] = v[3] + v[4];
        k++;
      }
    }
    if (!ok) {
      failures++;
      for (; k < N_REPORT; k++) {
        r[k] = r[N_REPORT + k] = NAN;
      }
    }
    long s1, s2, s3;
    CVodeGetNumSteps(mem, &s1);
    CVodeGetNumRhsEvals(mem, &s2);
    CVodeGetNumJacEvals(mem, &s3);
    steps += s1;
    rhs_evals += s2;
    jac_evals += s3;
  }
  const double wall = bench_now() - start;

  double checksum = 0;
  for (size_t i = 0; i < n; i++) {
    checksum += report[2 * N_REPORT * i + 3] + report[2 * N_REPORT * i + N_REPORT + 1];
  }
  printf("tool=cvode-bdf N=%zu threads=1 rtol=%g wall_s=%.4f patients_per_s=%.1f checksum=%.10e "
         "failures=%lu steps/patient=%.0f rhs/patient=%.0f jac/patient=%.1f\n",
         n, rtol, wall, (double)n / wall, checksum, failures, (double)steps / (double)n,
         (double)rhs_evals / (double)n, (double)jac_evals / (double)n);
  if (argc > 4) {
    FILE *f = fopen(argv[4], "w");
    if (f == NULL) {
      perror(argv[4]);
      return 2;
    }
    fprintf(f, "# wp_cvode: SUNDIALS CVODE BDF, dense, analytic Jacobian; rtol %g, atol %g x "
               "MODEL.md's\npatient,E14,E28,E90,E365,T14,T28,T90,T365\n", rtol, atol_scale);
    for (size_t i = 0; i < n; i++) {
      fprintf(f, "%zu", i);
      for (int k = 0; k < 2 * N_REPORT; k++) {
        fprintf(f, ",%.17g", report[2 * N_REPORT * i + (size_t)k]);
      }
      fputc('\n', f);
    }
    if (fclose(f) != 0) {
      perror(argv[4]);
      return 2;
    }
  }
  CVodeFree(&mem);
  SUNLinSolFree(LS);
  SUNMatDestroy(J);
  N_VDestroy(y);
  N_VDestroy(atol);
  free(pats);
  free(report);
  SUNContext_Free(&ctx);
  return failures != 0;
}

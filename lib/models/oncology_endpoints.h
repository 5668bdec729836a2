/* oncology_endpoints.h: the oncology endpoints of MODEL.md section 4 as table rows (internal), in
 * cart_endpoint order, for model.c's cartp_oncology_endpoints (cart's and cart2's list) and for a
 * model that has them and more (allo.c: these rows, then its own). The levels name the trial-wide
 * settings, so the numbers are those of cart_endpoint_settings. */
#ifndef CART_MODELS_ONCOLOGY_ENDPOINTS_H
#define CART_MODELS_ONCOLOGY_ENDPOINTS_H

#include "model_impl.h"

#define CARTP_ONCOLOGY_INPUT(role) CARTP_SLOT(CART_ROLE_##role)
#define CARTP_ONCOLOGY_CR_LEVELS {CARTP_TRIAL_LEVEL("n_detect"), CARTP_TRIAL_LEVEL("t_resp")}

#define CARTP_ONCOLOGY_ENDPOINT_ROWS \
    [CART_ENDPOINT_CMAX] = {{"cmax", "cells/uL", 0, "max of Cblood over the horizon"},             \
                            CARTP_REDUCE_MAX, CARTP_ONCOLOGY_INPUT(CBLOOD), 0, CARTP_NO_LEVELS},   \
    [CART_ENDPOINT_TMAX] = {{"tmax", "day", 0, "time of cmax"},                                    \
                            CARTP_REDUCE_TIME_OF_MAX, CARTP_ONCOLOGY_INPUT(CBLOOD), 0, CARTP_NO_LEVELS}, \
    [CART_ENDPOINT_AUC28] = {{"auc28", "cells/uL*day", 0, "integral of Cblood from 0 to 28"},      \
                             CARTP_REDUCE_INTEGRAL, CARTP_ONCOLOGY_INPUT(CBLOOD), 0, {CARTP_TRIAL_LEVEL("auc_end")}}, \
    [CART_ENDPOINT_TUMOUR_NADIR] = {{"tumour_nadir", "cells", 0, "min of the tumour sum"},         \
                                    CARTP_REDUCE_MIN, CARTP_ONCOLOGY_INPUT(TUMOUR), 0, CARTP_NO_LEVELS}, \
    [CART_ENDPOINT_RESPONSE] =                                                                     \
        {{"response", "1", 1,                                                                      \
          "2 CR (tumour below n_detect before t_resp), 1 PR (nadir <= T0/2), 0 NR"},               \
         CARTP_REDUCE_RESPONSE, CARTP_ONCOLOGY_INPUT(TUMOUR), 0, CARTP_ONCOLOGY_CR_LEVELS},        \
    [CART_ENDPOINT_RELAPSE_DAY] =                                                                  \
        {{"relapse_day", "day", 0,                                                                 \
          "first time after CR the tumour sum returns above n_detect; NaN if none"},               \
         CARTP_REDUCE_RELAPSE_DAY, CARTP_ONCOLOGY_INPUT(TUMOUR), 0, CARTP_ONCOLOGY_CR_LEVELS},     \
    [CART_ENDPOINT_RELAPSE_NEGATIVE] =                                                             \
        {{"relapse_negative", "1", 1,                                                              \
          "at relapse, antigen-negative cells are more than half the tumour"},                     \
         CARTP_REDUCE_RELAPSE_NEGATIVE, CARTP_ONCOLOGY_INPUT(TUMOUR), 0, CARTP_ONCOLOGY_CR_LEVELS}, \
    [CART_ENDPOINT_APLASIA_DAYS] = {{"aplasia_days", "day", 0,                                     \
                                     "total time with B below f_aplasia * B0"},                    \
                                    CARTP_REDUCE_TIME_BELOW, CARTP_ONCOLOGY_INPUT(B), 0,           \
                                    {CARTP_TRIAL_LEVEL_TIMES("f_aplasia", "B0")}},                 \
    [CART_ENDPOINT_IL6_PEAK] = {{"il6_peak", "pg/mL", 0, "max serum IL6"},                         \
                                CARTP_REDUCE_MAX, CARTP_ONCOLOGY_INPUT(IL6), 0, CARTP_NO_LEVELS},  \
    [CART_ENDPOINT_IL6S_PEAK] = {{"il6s_peak", "pg/mL", 0, "max IL6s"},                            \
                                 CARTP_REDUCE_MAX, CARTP_ONCOLOGY_INPUT(IL6S), 0, CARTP_NO_LEVELS}, \
    [CART_ENDPOINT_CRS_GRADE] =                                                                    \
        {{"crs_grade", "1", 1,                                                                     \
          "number of the thresholds crs_g1..crs_g4 that max CRS signal exceeded"},                 \
         CARTP_REDUCE_GRADE, CARTP_ONCOLOGY_INPUT(CRS), 0,                                         \
         {CARTP_TRIAL_LEVEL("crs_g1"), CARTP_TRIAL_LEVEL("crs_g2"), CARTP_TRIAL_LEVEL("crs_g3"), CARTP_TRIAL_LEVEL("crs_g4")}}, \
    [CART_ENDPOINT_CRS_ONSET] = {{"crs_onset", "day", 0,                                           \
                                  "first time the CRS signal exceeds crs_g1; NaN if never"},       \
                                 CARTP_REDUCE_FIRST_ABOVE, CARTP_ONCOLOGY_INPUT(CRS), 0, {CARTP_TRIAL_LEVEL("crs_g1")}}, \
    [CART_ENDPOINT_TOCI_DOSES] = {{"toci_doses", "1", 1, "tocilizumab doses given"},               \
                                  CARTP_REDUCE_TOCI_DOSES, 0, 0, CARTP_NO_LEVELS},                 \

#endif

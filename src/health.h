/*
 * GET /healthz: whether this worker can reach the database.
 */
#ifndef TCCHAT_HEALTH_H
#define TCCHAT_HEALTH_H

#include "handler.h"

handler_fn health_get;

#endif

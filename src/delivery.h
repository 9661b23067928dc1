/*
 * Delivery receipts: a message that a listing shows to its recipient goes
 * from "sent" to "delivered" (API.md, read_status), and the listing shows
 * it so.
 */
#ifndef TCCHAT_DELIVERY_H
#define TCCHAT_DELIVERY_H

#include <stdbool.h>

#include <libpq-fe.h>

#include "db.h"
#include "http.h"

/*
 * Delivers to `recipient` (the caller, or NULL when the listing delivers
 * to nobody) the first `shown` messages of a page (rows of
 * MESSAGE_LIST_COLUMNS) that are still "sent" and not theirs, and sets
 * delivered[row] for each one this request delivered. A page with none,
 * as when its chat was read before, costs no statement. On failure fills
 * the response and returns false.
 */
bool delivery_deliver_shown(const PGresult *page, int shown, const char *recipient, const struct request *request,
			    struct db *db, bool *delivered, struct response *response);

#endif

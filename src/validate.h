/*
 * Input validation: the JSON body of a request, and its query parameters,
 * checked against a table of field rules per endpoint. A failure fills the
 * response with 400 (or 415 for a body that is not JSON) and the names of
 * the fields at fault; the values that pass come out as text ready to be
 * SQL parameters.
 */
#ifndef TCCHAT_VALIDATE_H
#define TCCHAT_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

struct json_object;

enum field_kind {
	FIELD_STRING,        /* a string of min_length..max_length characters */
	FIELD_BOOLEAN,       /* JSON true/false; in a query true/false/1/0 */
	FIELD_CHOICE,        /* a string among `choices` */
	FIELD_THERAPIST_ID,  /* t_ + six of [a-z0-9] */
	FIELD_PATIENT_ID,    /* p_ + six of [a-z0-9] */
	FIELD_USER_ID,       /* a therapist or patient id, or the caller's own id */
	FIELD_CHAT_ID,       /* CHAT_ + therapist id + _ + patient id */
	FIELD_ANY_USER_ID,   /* any user's id: therapist, patient or admin */
	FIELD_MESSAGE_ID,    /* MSG_ + letters, digits and underscores */
	FIELD_COUNT,         /* a JSON integer from 0 to 2^53 - 1 */
	FIELD_TAGS,          /* an array of up to 32 strings of 1..64 characters */
	FIELD_KIND__MAX
};

struct field_rule {
	const char *name;
	enum field_kind kind;
	bool required;
	bool nullable;               /* JSON null accepted (and kept as NULL) */
	const char *const *choices;  /* FIELD_CHOICE: NULL-terminated */
	size_t min_length, max_length; /* FIELD_STRING, in characters; 0: no maximum */
};

struct field_value {
	bool present;        /* the field was sent (possibly as null) */
	const char *text;    /* its value as SQL parameter text; NULL for null */
	char *owned;         /* storage behind `text` when it had to be built */
};

#define FIELDS_MAX 16

struct fields {
	struct field_value values[FIELDS_MAX];
	struct json_object *body;   /* the parsed body the values point into, or NULL */
};

/*
 * Parses the request body as a JSON object into `*body` (the caller puts
 * it). An empty body is {}. Fills the response and returns false on a
 * non-JSON content type (415), or a body that is not a JSON object of
 * valid UTF-8 (400).
 */
bool validate_json_body(const struct request *request, struct response *response,
			struct json_object **body);

/* For actions that take no fields: the body, if any, must still be a JSON
 * object (415/400 as above); its fields are ignored. */
bool validate_action_body(const struct request *request, struct response *response);

/* Checks `body` against `rules` (at most FIELDS_MAX), filling `fields` in
 * the same order. On failure fills the response with 400 and returns false.
 * `caller` is the requester, for FIELD_USER_ID. */
bool validate_body(struct json_object *body, const struct field_rule *rules, size_t rule_count,
		   const struct identity *caller, struct fields *fields, struct response *response);

/* validate_json_body, then validate_body: on success `fields` holds the
 * checked values and owns the body they point into (fields_free puts it). */
bool validate_request_body(const struct request *request, const struct field_rule *rules, size_t rule_count,
			   struct fields *fields, struct response *response);

/* The same for query parameters (booleans come out as "true"/"false"). */
bool validate_query(const struct request *request, const struct field_rule *rules, size_t rule_count,
		    struct fields *fields, struct response *response);

void fields_free(struct fields *fields);

/* A value among `choices`, the query boolean words. */
extern const char *const chat_statuses[];
extern const char *const room_types[];
extern const char *const message_types[];
extern const char *const read_statuses[];

#endif

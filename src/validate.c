/*
 * Input validation against per-endpoint tables of field rules, with
 * DRF-style messages per field.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "buf.h"
#include "ids.h"
#include "json_strict.h"
#include "validate.h"

const char *const chat_statuses[] = {"active", "archived", "blocked", "deleted", NULL};
const char *const room_types[] = {"therapy", "consultation", "emergency", "general", NULL};
const char *const message_types[] = {"text", "image", "file", "system", "appointment", "prescription", NULL};
const char *const read_statuses[] = {"sent", "delivered", "read", NULL};

#define TAGS_MAX 32
/* 2^53 - 1, the largest integer every JSON client holds exactly. */
#define COUNT_MAX 9007199254740991LL
#define TAG_LENGTH_MAX 64

static const char *const required_message = "This field is required.";

bool validate_json_body(const struct request *request, struct response *response,
			struct json_object **body)
{
	*body = NULL;
	if (request->body_length == 0) {
		*body = json_object_new_object();
		return true;
	}
	if (!content_type_is_json(request->content_type)) {
		response_error(response, 415, "unsupported_media_type",
			       "Request bodies must be sent as application/json.", NULL);
		return false;
	}
	struct json_object *parsed = json_strict_parse(request->body, request->body_length);
	if (!json_object_is_type(parsed, json_type_object)) {
		json_object_put(parsed);
		response_error(response, 400, "malformed_json",
			       "The request body must be a JSON object in UTF-8.", NULL);
		return false;
	}
	*body = parsed;
	return true;
}

bool validate_action_body(const struct request *request, struct response *response)
{
	struct json_object *body;
	if (!validate_json_body(request, response, &body))
		return false;
	json_object_put(body);
	return true;
}

/* ---------------------------------------------------------------- rules */

static bool string_is_choice(const char *text, const char *const *choices)
{
	for (; *choices; choices++)
		if (strcmp(text, *choices) == 0)
			return true;
	return false;
}

static bool user_id_acceptable(const char *text, const struct identity *caller)
{
	return id_is_therapist(text) || id_is_patient(text) ||
	       (caller != NULL && strcmp(text, caller->id) == 0);
}

/* Checks a textual value (a JSON string or a query parameter) against a
 * rule of a textual kind. Returns NULL when it passes, else the message;
 * `scratch` holds a built message. */
static const char *check_text(const struct field_rule *rule, const char *text, const struct identity *caller,
			      char *scratch, size_t scratch_size)
{
	switch (rule->kind) {
	case FIELD_STRING: {
		size_t length = utf8_length(text);
		if (length < rule->min_length)
			return rule->min_length == 1 ? "This field may not be blank."
						     : "Ensure this field is not too short.";
		if (rule->max_length && length > rule->max_length) {
			snprintf(scratch, scratch_size, "Ensure this field has no more than %zu characters.",
				 rule->max_length);
			return scratch;
		}
		return NULL;
	}
	case FIELD_CHOICE:
		return string_is_choice(text, rule->choices) ? NULL : "Not a valid choice.";
	case FIELD_THERAPIST_ID:
		return id_is_therapist(text) ? NULL : "Enter a valid therapist id (t_ and 6 of a-z, 0-9).";
	case FIELD_PATIENT_ID:
		return id_is_patient(text) ? NULL : "Enter a valid patient id (p_ and 6 of a-z, 0-9).";
	case FIELD_USER_ID:
		return user_id_acceptable(text, caller) ? NULL : "Enter a valid user id.";
	case FIELD_CHAT_ID:
		return id_is_chat(text) ? NULL : "Enter a valid chat id (CHAT_, a therapist id, _, a patient id).";
	case FIELD_ANY_USER_ID:
		return id_is_admin(text) ? NULL : "Enter a valid user id.";
	case FIELD_MESSAGE_ID:
		return id_is_message(text) ? NULL : "Enter a valid message id (MSG_...).";
	default:
		return "Not a valid value.";
	}
}

static const char *check_tags(struct json_object *value, char **owned)
{
	if (!json_object_is_type(value, json_type_array) || json_object_array_length(value) > TAGS_MAX)
		return "Expected a list of at most 32 tags.";
	for (size_t i = 0; i < json_object_array_length(value); i++) {
		struct json_object *tag = json_object_array_get_idx(value, i);
		if (!json_object_is_type(tag, json_type_string))
			return "Each tag must be a string.";
		const char *text = json_object_get_string(tag);
		size_t length = utf8_length(text);
		if (strlen(text) != (size_t)json_object_get_string_len(tag))
			return "Each tag must be a string.";
		if (length < 1 || length > TAG_LENGTH_MAX)
			return "Each tag must have 1 to 64 characters.";
	}
	*owned = strdup(json_object_to_json_string_ext(value, JSON_C_TO_STRING_PLAIN));
	return NULL;
}

/* Checks one JSON value; NULL when it passes. */
static const char *check_json_value(const struct field_rule *rule, struct json_object *value,
				    const struct identity *caller, struct field_value *out,
				    char *scratch, size_t scratch_size)
{
	if (value == NULL)
		return rule->nullable ? NULL : "This field may not be null.";
	switch (rule->kind) {
	case FIELD_BOOLEAN:
		if (!json_object_is_type(value, json_type_boolean))
			return "Must be a valid boolean.";
		out->text = json_object_get_boolean(value) ? "true" : "false";
		return NULL;
	case FIELD_COUNT: {
		/* json-c saturates integers it cannot hold: only values a JSON
		 * client can represent exactly (below 2^53) are taken. */
		if (!json_object_is_type(value, json_type_int) || json_object_get_int64(value) < 0 ||
		    json_object_get_int64(value) > COUNT_MAX)
			return "A whole number from 0 to 9007199254740991 is required.";
		snprintf(scratch, scratch_size, "%lld", (long long)json_object_get_int64(value));
		out->text = out->owned = strdup(scratch);
		return NULL;
	}
	case FIELD_TAGS: {
		const char *message = check_tags(value, &out->owned);
		out->text = out->owned;
		return message;
	}
	default: {
		if (!json_object_is_type(value, json_type_string))
			return "Not a valid string.";
		const char *text = json_object_get_string(value);
		if (strlen(text) != (size_t)json_object_get_string_len(value))
			return "Not a valid string.";
		out->text = text;
		return check_text(rule, text, caller, scratch, scratch_size);
	}
	}
}

/* ---------------------------------------------------------------- errors */

struct failures {
	struct json_object *fields;  /* {"name": ["message"]} */
	const char *first_invalid;   /* the first field with a bad value */
	bool only_missing;           /* every failure is a missing required field */
	struct buf missing;          /* "a, b and c" */
	size_t missing_count;
};

static void failures_add(struct failures *failures, const char *name, const char *message)
{
	if (failures->fields == NULL) {
		failures->fields = json_object_new_object();
		failures->only_missing = true;
	}
	struct json_object *messages = json_object_new_array();
	json_object_array_add(messages, json_object_new_string(message));
	json_object_object_add(failures->fields, name, messages);
	if (message == required_message) {
		if (failures->missing_count++ > 0)
			buf_append_str(&failures->missing, ", ");
		buf_append_str(&failures->missing, name);
	} else {
		if (failures->only_missing)
			failures->first_invalid = name;
		failures->only_missing = false;
	}
}

/* Fills the 400 response; true when there was nothing to report. */
static bool failures_respond(struct failures *failures, struct response *response)
{
	if (failures->fields == NULL)
		return true;
	char sentence[256];
	if (failures->only_missing) {
		/* "a, b, c" → "a, b and c are required" */
		char *list = buf_take(&failures->missing);
		char *last_comma = strrchr(list, ',');
		if (last_comma != NULL)
			snprintf(sentence, sizeof sentence, "%.*s and%s are required", (int)(last_comma - list),
				 list, last_comma + 1);
		else
			snprintf(sentence, sizeof sentence, "%s is required", list);
		free(list);
	} else {
		snprintf(sentence, sizeof sentence, "Invalid value for %s.", failures->first_invalid);
	}
	buf_free(&failures->missing);
	response_error(response, 400, "validation_error", sentence, failures->fields);
	return false;
}

/* ---------------------------------------------------------------- entry points */

bool validate_body(struct json_object *body, const struct field_rule *rules, size_t rule_count,
		   const struct identity *caller, struct fields *fields, struct response *response)
{
	struct failures failures = {0};
	*fields = (struct fields){0};
	for (size_t i = 0; i < rule_count && i < FIELDS_MAX; i++) {
		struct json_object *value = NULL;
		struct field_value *out = &fields->values[i];
		char scratch[96];
		out->present = json_object_object_get_ex(body, rules[i].name, &value);
		if (!out->present) {
			if (rules[i].required)
				failures_add(&failures, rules[i].name, required_message);
			continue;
		}
		const char *message = check_json_value(&rules[i], value, caller, out, scratch, sizeof scratch);
		if (message != NULL)
			failures_add(&failures, rules[i].name, message);
	}
	return failures_respond(&failures, response);
}

bool validate_request_body(const struct request *request, const struct field_rule *rules, size_t rule_count,
			   struct fields *fields, struct response *response)
{
	struct json_object *body = NULL;
	*fields = (struct fields){0};
	if (!validate_json_body(request, response, &body))
		return false;
	bool ok = validate_body(body, rules, rule_count, &request->caller, fields, response);
	fields->body = body;
	return ok;
}

static const char *query_boolean(const char *text)
{
	if (strcasecmp(text, "true") == 0 || strcmp(text, "1") == 0)
		return "true";
	if (strcasecmp(text, "false") == 0 || strcmp(text, "0") == 0)
		return "false";
	return NULL;
}

bool validate_query(const struct request *request, const struct field_rule *rules, size_t rule_count,
		    struct fields *fields, struct response *response)
{
	struct failures failures = {0};
	*fields = (struct fields){0};
	for (size_t i = 0; i < rule_count && i < FIELDS_MAX; i++) {
		const char *text = request_param(request, rules[i].name);
		struct field_value *out = &fields->values[i];
		char scratch[96];
		const char *message = NULL;
		if (request_param_malformed(request, rules[i].name)) {
			failures_add(&failures, rules[i].name, "Enter a valid value.");
			continue;
		}
		out->present = text != NULL;
		if (!out->present) {
			if (rules[i].required)
				failures_add(&failures, rules[i].name, required_message);
			continue;
		}
		if (rules[i].kind == FIELD_BOOLEAN) {
			out->text = query_boolean(text);
			if (out->text == NULL)
				message = "Must be a valid boolean.";
		} else {
			out->text = text;
			message = check_text(&rules[i], text, &request->caller, scratch, sizeof scratch);
		}
		if (message != NULL)
			failures_add(&failures, rules[i].name, message);
	}
	return failures_respond(&failures, response);
}

void fields_free(struct fields *fields)
{
	if (fields == NULL)
		return;
	for (size_t i = 0; i < FIELDS_MAX; i++)
		free(fields->values[i].owned);
	json_object_put(fields->body);
	*fields = (struct fields){0};
}

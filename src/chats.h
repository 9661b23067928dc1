/*
 * The Chats resource, /api/chats/ (API.md section 4).
 */
#ifndef TCCHAT_CHATS_H
#define TCCHAT_CHATS_H

#include "handler.h"

handler_fn chats_list;
handler_fn chats_create;
handler_fn chats_get;
handler_fn chats_put;
handler_fn chats_patch;
handler_fn chats_delete;
handler_fn chats_create_or_get;
handler_fn chats_user_chats;
handler_fn chats_update_status;
handler_fn chats_toggle_notifications;
handler_fn chats_mark_all_read;

#endif

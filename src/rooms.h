/*
 * The ChatRooms resource, /api/chat-rooms/ (API.md section 4).
 */
#ifndef TCCHAT_ROOMS_H
#define TCCHAT_ROOMS_H

#include "handler.h"

handler_fn rooms_list;
handler_fn rooms_create;
handler_fn rooms_get;
handler_fn rooms_put;
handler_fn rooms_patch;
handler_fn rooms_delete;
handler_fn rooms_update_permissions;
handler_fn rooms_archive;
handler_fn rooms_activate;

#endif

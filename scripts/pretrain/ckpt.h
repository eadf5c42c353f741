/*
 * ckpt.h - training checkpoints: header, parameters, optimizer moments and BN running statistics.
 * Written to <path>.tmp and renamed, so a killed run never leaves a half-written checkpoint.
 */
#ifndef PRETRAIN_CKPT_H
#define PRETRAIN_CKPT_H

#include "net.h"

/* Saves the state after `step` optimizer steps and `seconds` of cumulated training time. */
int ckpt_save(const Net *n, const char *path, long step, double seconds);
/* Loads a checkpoint written for the same spec; returns 0 and fills step (and seconds if non-NULL). */
int ckpt_load(Net *n, const char *path, long *step, double *seconds);

#endif

"""The ends of a training epoch, shared by the BPR-MF and NeuMF trainers (as
lib/training/training-loop.ts does for the TypeScript ones): before it, whether a seconds
budget lets it start; after it, validate every `eval_every` epochs and keep the best weights,
log, report, checkpoint, and say whether to stop."""

import numpy as np


def end_epoch(s, weights, log, epoch, config, score, on_epoch, on_checkpoint, checkpoint_every,
              serialize, budget=None) -> bool:
    """`s` carries best_score, best_epoch, bad, best, history and epoch; `weights` are its
    current tables; `score()` their validation NDCG@10; `budget` a budget.TrainingBudget or
    None. Returns True when training stops (patience used up)."""
    if epoch % config.eval_every == 0 or epoch == config.epochs:
        log["validNdcg10"] = value = score()
        if value > s.best_score:
            s.best_score, s.best_epoch, s.bad = value, epoch, 0
            s.best = {k: np.asarray(v).copy() for k, v in weights.items()}
        else:
            s.bad += 1
    s.history.append(log)
    s.epoch = epoch
    if budget is not None:
        budget.epoch_done()
    if on_epoch:
        on_epoch(log)
    stop = s.bad >= config.patience
    if on_checkpoint and checkpoint_every and epoch % checkpoint_every == 0 and not stop:
        on_checkpoint(serialize(), epoch)
    return stop


def budget_allows(budget) -> bool:
    """Asked before each epoch: False once `budget` (a budget.TrainingBudget, or None for no
    budget) says the next epoch would end past it."""
    return budget is None or not budget.should_stop()


def best_weights(s, weights):
    """The best validated weights, or the current ones when none was validated."""
    return s.best if s.best is not None else {k: np.asarray(v) for k, v in weights.items()}

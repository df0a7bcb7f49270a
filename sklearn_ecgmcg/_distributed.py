"""Data-parallel training through PyTorch DDP, bf16 autocast and ``torch.compile``.

The estimators train through :class:`TrainingNet`, a skorch ``NeuralNet`` whose training
forward pass can run through a :class:`~torch.nn.parallel.DistributedDataParallel`
wrapper, under bfloat16 autocast and compiled; ``module_`` itself stays the plain
module (so ``net_.module_.encoder``, ``state_dict`` keys and persistence are the same
on one process or N).

How the processes share the work
--------------------------------
A launcher (``torchrun`` or ``accelerate launch``) starts N copies of the user's script
and sets ``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT``.
Each copy's ``fit`` joins the process group (gloo on CPU, NCCL on CUDA) and:

- draws the same seed (rank 0's, broadcast), so every rank builds the same module and
  draws the same shuffled order of samples from torch's global generator;
- cuts that order into the same global batches of ``batch_size`` samples and trains on
  its own ``batch_size / N`` of each (:class:`ShardedBatchSampler`), so the global batch
  is ``batch_size`` whatever N is;
- averages gradients through DDP (the criterion's own parameters, such as a learned
  temperature, through an explicit all-reduce), so every rank holds the same
  parameters after each step;
- averages the epoch's training loss over the ranks (:class:`SyncTrainLoss`), so
  ``loss_curve_``, early stopping and pruning decide the same on every rank.

The global RNG streams stay in step because each rank consumes the same number of
random draws per batch (equal shards); ``batch_size`` must therefore be a multiple of N.
"""

import os
from collections.abc import Mapping

import torch
import torch.distributed as dist
from skorch import NeuralNet
from skorch.callbacks import Callback
from skorch.utils import to_tensor
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, SequentialSampler

__all__ = ["DataParallel", "ShardedBatchSampler", "SyncTrainLoss", "TrainingNet"]


class DataParallel:
    """The process group of a launched multi-process fit: rank, size and device.

    Use :meth:`from_environment`; it returns None on a single process.
    """

    def __init__(self, rank, world_size, device):
        self.rank = rank
        self.world_size = world_size
        self.device = device

    @property
    def is_main(self):
        return self.rank == 0

    @classmethod
    def from_environment(cls, device):
        """Join the launcher's process group (or the user's), or None on one process.

        ``device`` is the resolved training device; on CUDA each process takes the GPU
        ``LOCAL_RANK`` unless the device names one.
        """
        if not dist.is_available():
            return None
        if not dist.is_initialized():
            if int(os.environ.get("WORLD_SIZE", "1")) <= 1:
                return None
            missing = [key for key in ("RANK", "MASTER_ADDR", "MASTER_PORT")
                       if key not in os.environ]
            if missing:
                raise ValueError(
                    f"WORLD_SIZE={os.environ['WORLD_SIZE']} asks for a multi-process fit, but "
                    f"{', '.join(missing)} is not set; launch the script with torchrun or "
                    "accelerate launch, which set them."
                )
            kind = torch.device(device).type
            dist.init_process_group(backend="nccl" if kind == "cuda" else "gloo")
        if dist.get_world_size() == 1:
            return None
        torch_device = torch.device(device)
        if torch_device.type == "cuda" and torch_device.index is None:
            torch_device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
            torch.cuda.set_device(torch_device)
        return cls(dist.get_rank(), dist.get_world_size(), str(torch_device))

    def broadcast(self, value):
        """Rank 0's ``value`` (a picklable object) on every rank."""
        holder = [value]
        dist.broadcast_object_list(holder, src=0)
        return holder[0]

    def mean(self, value):
        """Mean of a float over the ranks."""
        tensor = torch.tensor([float(value)], dtype=torch.float64, device=self._comm_device())
        dist.all_reduce(tensor)
        return float(tensor.item()) / self.world_size

    def average_gradients(self, parameters):
        """All-reduce the gradients of ``parameters`` outside DDP (e.g. a criterion's)."""
        for parameter in parameters:
            if parameter.grad is not None:
                dist.all_reduce(parameter.grad)
                parameter.grad /= self.world_size

    def check_batch_size(self, batch_size):
        if batch_size % self.world_size:
            raise ValueError(
                f"A fit on {self.world_size} processes splits each batch of batch_size="
                f"{batch_size} samples evenly between them; use a batch_size that is a "
                f"multiple of {self.world_size} (with fewer samples than batch_size, the "
                "number of samples is the batch size)."
            )

    def _comm_device(self):
        # NCCL reduces CUDA tensors only; gloo reduces CPU tensors.
        return self.device if dist.get_backend() == "nccl" else "cpu"


class ShardedBatchSampler(torch.utils.data.Sampler):
    """This rank's share of each batch of ``batches``: indices ``rank::world_size``."""

    def __init__(self, batches, rank, world_size):
        self.batches = batches
        self.rank = rank
        self.world_size = world_size

    def __len__(self):
        return len(self.batches)

    def __iter__(self):
        for batch in self.batches:
            yield batch[self.rank :: self.world_size]


class SyncTrainLoss(Callback):
    """Replace the epoch's ``train_loss`` by its mean over the ranks."""

    def __init__(self, parallel):
        self.parallel = parallel

    def on_epoch_end(self, net, **kwargs):
        loss = net.history[-1, "train_loss"]
        net.history.record("train_loss", self.parallel.mean(loss))


def _to_float32(output):
    """Cast the floating tensors of a module's output (a tensor or a tuple/dict of them)."""
    if isinstance(output, torch.Tensor):
        return output.float() if output.is_floating_point() else output
    if isinstance(output, Mapping):
        return type(output)({key: _to_float32(value) for key, value in output.items()})
    if isinstance(output, tuple) and hasattr(output, "_fields"):  # a named tuple
        return type(output)(*(_to_float32(value) for value in output))
    if isinstance(output, (tuple, list)):
        return type(output)(_to_float32(value) for value in output)
    return output


class TrainingNet(NeuralNet):
    """skorch ``NeuralNet`` whose training forward runs data-parallel, autocast, compiled.

    Parameters
    ----------
    *args, **kwargs
        Those of :class:`skorch.NeuralNet`.
    precision : {"float32", "bf16"}, default="float32"
        ``"bf16"``: the training forward pass under bfloat16 autocast; its outputs are
        cast back to float32 before the loss, as Accelerate does.
    compile_training : bool, default=False
        Run the training forward pass through :func:`torch.compile`.
    parallel : DataParallel or None, default=None
        The process group; None trains on this process alone.
    """

    def __init__(self, *args, precision="float32", compile_training=False, parallel=None,
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.precision = precision
        self.compile_training = compile_training
        self.parallel = parallel

    def fit_loop(self, X, y=None, epochs=None, **fit_params):
        # A dict, not an attribute: skorch lets modules be set only in initialize_*.
        self._training_forward = {"module": self._wrapped_module()}
        try:
            return super().fit_loop(X, y, epochs=epochs, **fit_params)
        finally:
            self._training_forward = {}  # the wrapper is never pickled with the net

    def _wrapped_module(self):
        module = self.module_
        if self.parallel is not None:
            on_cuda = torch.device(self.device).type == "cuda"
            # DDP broadcasts rank 0's parameters and buffers here, then all-reduces the
            # gradients in backward. Parameters a forward pass leaves unused (a head the
            # objective skips) must not stall the reduction.
            module = DistributedDataParallel(
                module, device_ids=[torch.device(self.device)] if on_cuda else None,
                find_unused_parameters=False,
            )
        if self.compile_training:
            module = torch.compile(module)
        return module

    def infer(self, x, **fit_params):
        module = getattr(self, "_training_forward", {}).get("module")
        if module is None or not self.module_.training:
            return super().infer(x, **fit_params)
        x = to_tensor(x, device=self.device)
        device_type = torch.device(self.device).type
        with torch.autocast(device_type, dtype=torch.bfloat16,
                            enabled=self.precision == "bf16"):
            if isinstance(x, Mapping):
                output = module(**self._merge_x_and_fit_params(x, fit_params))
            else:
                output = module(x, **fit_params)
        return _to_float32(output) if self.precision == "bf16" else output

    def train_step_single(self, batch, **fit_params):
        step = super().train_step_single(batch, **fit_params)
        if self.parallel is not None:
            self.parallel.average_gradients(self.criterion_.parameters())
        return step

    def get_iterator(self, dataset, training=False):
        if not training or self.parallel is None:
            return super().get_iterator(dataset, training=training)
        kwargs = self.get_params_for("iterator_train")
        batch_size = kwargs.pop("batch_size", self.batch_size)
        sampler = kwargs.pop("sampler", None)
        if sampler is None:
            # The global generator, seeded alike on every rank: the same order everywhere.
            shuffle = kwargs.pop("shuffle", False)
            sampler = RandomSampler(dataset) if shuffle else SequentialSampler(dataset)
        kwargs.pop("shuffle", None)
        batches = BatchSampler(sampler, batch_size, kwargs.pop("drop_last", False))
        shards = ShardedBatchSampler(batches, self.parallel.rank, self.parallel.world_size)
        return DataLoader(dataset, batch_sampler=shards, **kwargs)

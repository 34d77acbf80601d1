"""DistributedDataParallel that accepts CPU modules."""
import inspect
from typing import List, Optional

import torch
from mmengine.model import MMDistributedDataParallel
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from mmpwkd.registry import MODEL_WRAPPERS

# torch >= 2.14 renamed ``broadcast_buffers`` to ``forward_sync_buffers``.
_HAS_FORWARD_SYNC = 'forward_sync_buffers' in inspect.signature(
    DistributedDataParallel.__init__).parameters


@MODEL_WRAPPERS.register_module()
class DeviceAwareDDP(MMDistributedDataParallel):
    """``MMDistributedDataParallel`` that also wraps modules on the CPU.

    mmengine's Runner always passes ``device_ids=[LOCAL_RANK]``, which torch
    rejects for a module on the CPU; this wrapper drops them there. It also
    passes ``broadcast_buffers`` under the name the installed torch expects.
    On a GPU it behaves exactly as ``MMDistributedDataParallel``.

    Args:
        module (nn.Module): The model to wrap.
        device_ids (list[int], optional): GPU ids; ignored when the module's
            parameters are on the CPU. Defaults to None.
        broadcast_buffers (bool): Whether every forward copies rank 0's
            buffers (BN statistics) to all ranks. Defaults to True.
        channels_last (bool): Convert the module to ``torch.channels_last``
            before wrapping, so that DDP's gradient buckets match the
            parameters' layout (see ``ChannelsLastHook``). Defaults to
            False.
        **kwargs: Passed to ``MMDistributedDataParallel``, e.g.
            ``find_unused_parameters``.
    """

    def __init__(self,
                 module: nn.Module,
                 device_ids: Optional[List[int]] = None,
                 broadcast_buffers: bool = True,
                 channels_last: bool = False,
                 **kwargs) -> None:
        if channels_last:
            module.to(memory_format=torch.channels_last)
        first_param = next(module.parameters(), None)
        if first_param is None or first_param.device.type == 'cpu':
            device_ids = None
        if _HAS_FORWARD_SYNC:
            kwargs['forward_sync_buffers'] = broadcast_buffers
        else:
            kwargs['broadcast_buffers'] = broadcast_buffers
        super().__init__(module=module, device_ids=device_ids, **kwargs)

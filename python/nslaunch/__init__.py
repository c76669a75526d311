"""Run commands in nslaunch sandboxes.

    import nslaunch
    box = nslaunch.Sandbox(ro_binds=[("/srv/plugins", "/usr/local/plugins")], memory="256m", timeout=30)
    result = nslaunch.run(["python3", "/usr/local/plugins/p.py"], box, input=b"{}", capture_output=True)

``run`` returns a Result read from nslaunch's status JSON; a launch that
failed raises LaunchError (stage, subject, message); ``check=True`` raises
PluginError when the command itself failed. ``start`` returns a Handle;
``nslaunch.aio`` has the asyncio counterparts. A ``Pool`` keeps sandboxes
made ahead of their commands, for callers that run many.
"""

from .errors import BinaryNotFound, LaunchError, NslaunchError, PluginError
from .launch import find_binary
from .pool import Pool
from .process import DEVNULL, PIPE, Handle, run, start
from .result import EgressDenial, Result, SeccompCaller, SeccompDenial
from .sandbox import Sandbox

__all__ = ["BinaryNotFound", "DEVNULL", "EgressDenial", "Handle", "LaunchError", "NslaunchError", "PIPE",
           "PluginError", "Pool", "Result", "Sandbox", "SeccompCaller", "SeccompDenial", "find_binary", "run", "start"]
__version__ = "0.1.0"

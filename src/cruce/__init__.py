"""cruce: the shared information system of the Central American regional security compact.

    >>> from cruce import Node
    >>> node = Node.open(":memory:", agency="hn_police")
"""

from cruce._node import Node, justification
from cruce.errors import CruceError
from cruce.records import Envelope, Record

__version__ = "0.1.0"

__all__ = ["CruceError", "Envelope", "Node", "Record", "__version__", "justification"]

"""The connect room: the first-run welcome panel and the connection wizard.

Entry: `WelcomePanel` (welcome.py) and `ConnectWizard` (wizard.py).
"""

from b24monitor.gui.connect.welcome import WelcomePanel
from b24monitor.gui.connect.wizard import ConnectWizard

__all__ = ["ConnectWizard", "WelcomePanel"]

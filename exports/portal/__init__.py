"""The public download portal: a static site generated with each release (see ``build``)."""

from exports.portal.build import build_portal

__all__ = ["build_portal"]

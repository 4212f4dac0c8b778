"""Server-rendered pages: the shop front (browse and search), product pages."""

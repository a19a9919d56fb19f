"""The provider portal: providers see, send and collect their files in a browser.

Its own web application on its own listener (role ``portal``), with the staff web's security
pieces. The way through it:

- ``login``: provider code and the SFTP account's password, then TOTP (enrolled at first login);
- ``files``: the provider's request files, their findings and downloads;
- ``send``: a file sent through the browser, received by the SFTP server's own reception code;
- ``app`` builds the application; ``routes/`` holds the pages.
"""

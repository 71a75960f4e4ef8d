"""The cart: a customer's lines, shown with the catalog's current prices and stock, emptied by confirmed orders."""

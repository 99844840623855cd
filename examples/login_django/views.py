"""The tutorial's views in Django style: ``messages.success`` and a redirect."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render

#: The one account the tutorial accepts.
CLIENT_NAME = "mrexamples"
PASSWORD = "mrexamples"
WRONG_LOGIN = "Client Name and Password is incorrect. Please enter the accurate data!"


def index(request: HttpRequest) -> HttpResponse:
    """The home page: the messages waiting, then a link to the login form."""
    return render(request, "main.html")


def login(request: HttpRequest) -> HttpResponse:
    """Show the login form, or check it and redirect home with a message."""
    error = None
    name = ""
    if request.method == "POST":
        name = request.POST.get("cname", "")
        if name != CLIENT_NAME or request.POST.get("pwd") != PASSWORD:
            error = WRONG_LOGIN
        else:
            messages.success(request, f"{name} account were successfully logged in")
            return redirect("index")
    return render(request, "form.html", {"error": error, "name": name})

"""Account security (2FA, API keys, sign out everywhere) and administration (users, audit, roles)."""

from __future__ import annotations

import json
import re
import time
import urllib.request

import pyotp
import pytest
from playwright.sync_api import expect

from tests.browser.cluster_objects import (
    LIVE_TIMEOUT_MS,
    admin_token,
    cluster_id,
    create_deployment,
    create_pod,
    wait_running,
)
from tests.browser.conftest import ADMIN_PASSWORD, screenshot, sign_in

pytestmark = pytest.mark.browser

VIEWER_PASSWORD = "viewer-pass-123"
# A password change through the page takes several seconds on a busy machine (see its test).
PASSWORD_CHANGE_TIMEOUT_MS = 20_000


def test_two_factor_setup_and_sign_in_with_code(cluster_server, page):
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/settings/security")
    page.get_by_role("button", name="Set up two-factor authentication").click()
    expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
    expect(page.get_by_role("list", name="Recovery codes").get_by_role("listitem")).to_have_count(10)
    secret = page.get_by_label("Secret key", exact=True).inner_text().strip()
    page.wait_for_timeout(200)
    screenshot(page, "42-2fa-setup")

    totp = pyotp.TOTP(secret)
    # Turning 2FA on asks for the password again; a wrong one is an error in the form, not a sign-out.
    page.get_by_label("Authentication code").fill(totp.now())
    page.get_by_label("Current password").fill("not-the-password")
    page.get_by_role("button", name="Turn on 2FA").click()
    expect(page.get_by_role("alert")).to_contain_text("current password is incorrect")
    page.get_by_label("Authentication code").fill("000000" if totp.now() != "000000" else "111111")
    page.get_by_label("Current password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Turn on 2FA").click()
    expect(page.get_by_role("alert")).to_contain_text("2FA code")
    page.get_by_label("Authentication code").fill(totp.now())
    page.get_by_role("button", name="Turn on 2FA").click()
    expect(page.locator(".status", has_text="On")).to_be_visible()
    expect(page.get_by_text("recovery codes left")).to_contain_text("10")

    # Sign out, then sign in again: the second step asks for a code (the next step's code, since a
    # code is accepted only once and the one above is spent).
    page.get_by_role("button", name=re.compile("Account menu")).click()
    page.get_by_role("menuitem", name="Sign out").click()
    page.get_by_label("Username").fill("admin")
    page.get_by_label("Password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.get_by_label("Authentication code").fill(totp.at(time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".topbar")).to_be_visible()
    page.goto(f"{cluster_server.url}/settings/profile")
    expect(page.locator(".property", has_text="Two-factor authentication")).to_contain_text("On")


def submit_key_form(page, name: str, password: str) -> None:
    """Fill and submit the new-key form (it asks for the password again)."""
    page.get_by_label("Name").fill(name)
    page.get_by_label("Your password").fill(password)
    page.get_by_role("button", name="Create key").click()


def create_key_in_page(page, name: str) -> str:
    """Create a key through the form; returns the key the page shows once."""
    submit_key_form(page, name, ADMIN_PASSWORD)
    expect(page.get_by_role("status").filter(has_text="copy this key now")).to_contain_text(name)
    return page.get_by_label("Your new API key").inner_text().strip()


def key_owner(server, key: str) -> str | int:
    """Who the key signs in as, or the envelope's error code."""
    request = urllib.request.Request(f"{server.url}/api/v1/users/me", headers={"X-API-Key": key})
    body = json.loads(urllib.request.urlopen(request).read())
    return body["data"]["username"] if body["code"] == 0 else body["code"]


def test_api_keys_and_sign_out_everywhere(cluster_server, page):
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/settings/api-keys")
    submit_key_form(page, "ci-deploy", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("current password is incorrect")
    expect(page.get_by_label("Name")).to_be_visible()  # still signed in
    key = create_key_in_page(page, "ci-deploy")
    assert key.startswith("kv_"), key
    table = page.get_by_role("table", name="API keys")
    expect(table.get_by_role("row", name=re.compile("ci-deploy"))).to_be_visible()
    screenshot(page, "43-api-keys")
    assert key_owner(cluster_server, key) == "admin"  # the key works for scripts
    page.get_by_role("button", name="Revoke ci-deploy").click()
    page.get_by_role("dialog").get_by_role("button", name="Revoke").click()
    expect(table.get_by_role("row", name=re.compile("ci-deploy"))).to_have_count(0)
    assert key_owner(cluster_server, key) == 40100

    kept = create_key_in_page(page, "nightly")
    page.goto(f"{cluster_server.url}/settings/security")
    page.get_by_role("button", name="Sign out everywhere").click()
    page.get_by_role("dialog").get_by_role("button", name="Sign out everywhere").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert key_owner(cluster_server, kept) == "admin"  # sessions end, keys keep working

    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/settings/security")
    page.get_by_role("button", name="Sign out everywhere").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Also revoke all my API keys").check()
    expect(dialog).to_contain_text("every API key stops working")
    dialog.get_by_role("button", name="Sign out everywhere").click()
    expect(page.get_by_role("button", name="Sign in")).to_be_visible()
    assert key_owner(cluster_server, kept) == 40100


def test_users_admin_and_audit_log(control_plane, namespace, cluster_server, page):
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server)
    page.goto(f"{cluster_server.url}/admin/users")
    page.get_by_role("button", name="New user").click()
    dialog = page.get_by_role("dialog", name="New user")
    dialog.get_by_label("Username").fill("alice")
    dialog.get_by_label("Initial password").fill("alice-pass-123")
    dialog.get_by_label("E-mail").fill("alice@example.com")
    dialog.get_by_label("Role").select_option("dev")
    dialog.get_by_label("All namespaces").uncheck()
    dialog.get_by_label("Granted namespaces").fill(namespace)
    screenshot(page, "44-user-create")
    dialog.get_by_role("button", name="Create user").click()
    expect(dialog).to_be_hidden()
    row = page.get_by_role("row", name=re.compile("alice"))
    expect(row).to_contain_text("dev")
    expect(row).to_contain_text(namespace)

    # Deactivate, then reset the password.
    row.get_by_role("button", name="Edit alice").click()
    dialog = page.get_by_role("dialog", name="Edit alice")
    dialog.get_by_label("Active (may sign in)").uncheck()
    dialog.get_by_role("button", name="Save").click()
    expect(row).to_contain_text("Deactivated")
    row.get_by_role("button", name="Reset password of alice").click()
    dialog = page.get_by_role("dialog", name=re.compile("Reset the password"))
    dialog.get_by_label("Temporary password").fill("temporary-pass-1")
    dialog.get_by_role("button", name="Set password").click()
    expect(row).to_contain_text("must change password")
    page.wait_for_timeout(200)
    screenshot(page, "45-users")

    page.get_by_role("tab", name="Audit log").click()
    audit = page.get_by_role("table", name="Audit log")
    expect(audit).to_contain_text("user.create")
    page.get_by_label("Action").fill("user.update")
    page.get_by_role("button", name="Apply").click()
    expect(audit.get_by_role("row")).to_have_count(2)  # header + one entry
    expect(audit).to_contain_text("user.update")
    page.get_by_label("Action").fill("")
    page.get_by_role("button", name="Apply").click()
    expect(audit).to_contain_text("user.reset-password")
    screenshot(page, "46-audit-log")
    assert cid


def test_readonly_user_sees_no_actions_and_no_admin(control_plane, kubelet, namespace, cluster_server, page):
    create_deployment(control_plane, namespace, "web", replicas=1)
    create_pod(control_plane, namespace, "solo")
    wait_running(control_plane, namespace, "app=solo", 1)
    cluster_server.ok("POST", "/users", {"username": "viewer", "password": VIEWER_PASSWORD, "role": "readonly"},
                      token=admin_token(cluster_server))
    cid = cluster_id(cluster_server)
    sign_in(page, cluster_server, "viewer", VIEWER_PASSWORD)

    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/deployments/web")
    expect(page.get_by_role("heading", name="web")).to_be_visible()
    for name in ("Scale", "Restart", "Rollback", "Pause", "Edit YAML", "Delete"):
        expect(page.get_by_role("button", name=name, exact=True)).to_have_count(0)
    # Reading logs is allowed to readonly; a shell is not.
    page.get_by_role("tab", name="Logs").click()
    expect(page.get_by_role("region", name="Log lines")).to_contain_text("from web-", timeout=LIVE_TIMEOUT_MS)
    page.goto(f"{cluster_server.url}/c/{cid}/ns/{namespace}/pods/solo?tab=terminal")
    expect(page.get_by_text("Terminal not available")).to_be_visible()
    page.goto(f"{cluster_server.url}/c/{cid}/ns/_all/nodes/node1")
    expect(page.get_by_role("button", name="Cordon")).to_have_count(0)

    page.get_by_role("button", name=re.compile("Account menu")).click()
    expect(page.get_by_role("menuitem", name="Administration")).to_have_count(0)
    page.keyboard.press("Escape")
    page.goto(f"{cluster_server.url}/admin/users")
    expect(page.get_by_text("cannot open this administration page")).to_be_visible()
    expect(page.get_by_role("tab", name="Users")).to_have_count(0)
    screenshot(page, "47-readonly-admin-refused")


def test_a_reset_password_must_be_changed_before_anything_else(cluster_server, page):
    token = admin_token(cluster_server)
    user = cluster_server.ok("POST", "/users", {"username": "reset-me", "password": VIEWER_PASSWORD, "role": "ops"},
                             token=token)
    cluster_server.ok("POST", f"/users/{user['id']}/reset-password", {"password": "temporary-pass-1"}, token=token)
    page.goto(f"{cluster_server.url}/login")
    page.get_by_label("Username").fill("reset-me")
    page.get_by_label("Password").fill("temporary-pass-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    expect(page.locator(".topbar")).to_have_count(0)
    # The API refuses everything else until then, whatever the page does.
    session = cluster_server.ok("POST", "/auth/login", {"username": "reset-me", "password": "temporary-pass-1"})
    assert cluster_server.api("GET", "/clusters", token=session["accessToken"])["code"] == 40300

    page.get_by_label("Current password").fill("temporary-pass-1")
    page.get_by_label("New password", exact=True).fill("my-own-pass-1")
    page.get_by_label("Confirm new password").fill("my-own-pass-1")
    page.get_by_role("button", name="Set password and continue").click()
    # Checking the old password, hashing the new one and signing in again: three bcrypt runs at full cost.
    expect(page.locator(".topbar")).to_be_visible(timeout=PASSWORD_CHANGE_TIMEOUT_MS)

//! What the account changes of its own on the server (its profile, its
//! password, its sessions) and this device's preferences for it. Each
//! server call is checked there; the cache follows and the change is
//! reported as an [`Event`].

use ling_proto::SessionId;
use ling_proto::auth::{ChangePasswordRequest, SessionInfo};
use ling_proto::users::{Me, UpdateProfileRequest, UserProfile};

use crate::client::Client;
use crate::error::ClientResult;
use crate::events::Event;
use crate::prefs::Prefs;

impl Client {
    // --- the account ------------------------------------------------------------

    /// Changes the account's name, signature, phone or avatar.
    pub async fn update_profile(&self, req: &UpdateProfileRequest) -> ClientResult<Me> {
        let me = self.inner.api().update_me(req).await?;
        self.inner.set_me(me.clone()).await?;
        let user = UserProfile {
            id: me.id,
            username: me.username.clone(),
            display_name: me.display_name.clone(),
            avatar: me.avatar.clone(),
            signature: me.signature.clone(),
        };
        let cached = user.clone();
        self.inner.db(move |c| c.upsert_users(std::slice::from_ref(&cached))).await?;
        self.inner.emit(Event::ProfileChanged { user });
        Ok(me)
    }

    /// Changes the password; the server signs out every other device.
    pub async fn change_password(&self, old_password: &str, new_password: &str) -> ClientResult<()> {
        let req =
            ChangePasswordRequest { old_password: old_password.to_owned(), new_password: new_password.to_owned() };
        self.inner.api().change_password(&req).await
    }

    /// The devices signed in to the account (this one marked `current`).
    pub async fn sessions(&self) -> ClientResult<Vec<SessionInfo>> {
        self.inner.api().sessions().await
    }

    /// Signs a device out.
    pub async fn revoke_session(&self, id: SessionId) -> ClientResult<()> {
        self.inner.api().revoke_session(id).await
    }

    // --- this device's preferences for the account ------------------------------

    /// This device's preferences for the account (`prefs`).
    pub async fn prefs(&self) -> ClientResult<Prefs> {
        let dir = self.inner.account_dir().to_owned();
        self.inner.db(move |c| crate::prefs::load(c, &dir)).await
    }

    /// Keeps `prefs` as this device's preferences for the account.
    /// A call in progress takes up its sound settings at once.
    pub async fn set_prefs(&self, prefs: Prefs) -> ClientResult<()> {
        self.inner.db(move |c| crate::prefs::store(c, &prefs)).await?;
        self.inner.prefs_stored();
        Ok(())
    }
}

"""The dashboard (trang chủ): what a user has to do now and the figures a chair shows in a
meeting, within what the user may see."""

"""Forms of the editor and the blog's settings."""

from __future__ import annotations

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from koe.blogs import services
from koe.blogs.models import Blog, Category, Genre, Post
from koe.core import images
from koe.core.text import clean_line


class PostForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=120)
    body = forms.CharField(
        label=_("Text"),
        max_length=100_000,
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 18, "data-editor-body": ""}),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.none(), required=False
    )
    tags = forms.CharField(
        label=_("Hashtags"),
        required=False,
        max_length=600,
        help_text=_("Up to 10, separated by spaces or commas."),
    )
    visibility = forms.ChoiceField(label=_("Who can read it"), choices=Post.Visibility.choices)
    publish_at = forms.DateTimeField(
        label=_("Publish at"),
        required=False,
        help_text=_("Leave empty to publish now. A time in the future schedules the post."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    is_sponsored = forms.BooleanField(
        label=_("This post is sponsored (shows a PR mark)"), required=False
    )
    allow_reblogs = forms.BooleanField(
        label=_("Others may reblog this post"), required=False, initial=True
    )

    def __init__(self, blog: Blog, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = blog.categories.all()
        self.fields["category"].empty_label = _("(none)")

    def clean_title(self):
        title = clean_line(self.cleaned_data["title"])
        if not title:
            raise forms.ValidationError(_("Please give the post a title."), code="required")
        return title

    def clean_tags(self):
        return services.parse_tags(self.cleaned_data["tags"])

    def clean_publish_at(self):
        value = self.cleaned_data.get("publish_at")
        if value and value.year < 2000:
            raise forms.ValidationError(_("Please choose a real date."), code="date")
        return value

    @classmethod
    def initial_for(cls, post: Post) -> dict:
        publish_at = post.published_at
        return {
            "title": post.title,
            "body": post.body,
            "category": post.category_id,
            "tags": " ".join(t.name for t in post.tags.all()),
            "visibility": post.visibility,
            "publish_at": timezone.localtime(publish_at) if publish_at else None,
            "is_sponsored": post.is_sponsored,
            "allow_reblogs": post.allow_reblogs,
        }


class AutosaveForm(forms.Form):
    title = forms.CharField(max_length=120, required=False)
    body = forms.CharField(max_length=100_000, required=False, strip=False)


class PreviewForm(forms.Form):
    body = forms.CharField(max_length=100_000, required=False, strip=False)


class ImageUploadForm(forms.Form):
    file = forms.FileField()
    alt = forms.CharField(max_length=200, required=False)

    def clean_file(self):
        upload = self.cleaned_data["file"]
        images.validate_image(upload)
        return upload


class BlogSettingsForm(forms.ModelForm):
    header_upload = forms.FileField(
        label=_("Header image"),
        required=False,
        widget=forms.FileInput(attrs={"accept": "image/*"}),
    )

    remove_header = forms.BooleanField(label=_("Remove the header image"), required=False)

    class Meta:
        model = Blog
        fields = [
            "title",
            "description",
            "genre",
            "theme",
            "comment_policy",
            "comments_need_approval",
            "likes_enabled",
            "show_followers",
            "members_teaser",
        ]
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3}),
            "theme": forms.RadioSelect,
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["genre"].queryset = Genre.objects.all()
        self.fields["genre"].empty_label = _("(none)")
        if not self.instance.header_image:
            del self.fields["remove_header"]

    def clean_title(self):
        title = clean_line(self.cleaned_data["title"])
        if not title:
            raise forms.ValidationError(_("Please give your blog a title."), code="required")
        return title

    def clean_description(self):
        return clean_line(self.cleaned_data["description"])

    def clean_header_upload(self):
        upload = self.cleaned_data.get("header_upload")
        if upload:
            images.validate_image(upload)
        return upload


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=40)
